import type { Transformer } from "grammy";
import { rateKeyOf, type RateBucket, type RateBudget } from "../../budget/rate-budget.js";

/**
 * Who waits for whom. Replies to a follower who is waiting go first; reminders take only what
 * replies leave: they need the whole schedule clear, replies may run a little ahead of it.
 */
export type SendLane = "reply" | "background";

/**
 * Telegram's limits for bots: about 30 messages a second in all, one a second in a chat, 20 a
 * minute in a group. We stay under them with some room, since requests from several
 * processes can bunch on the way: 27 a second in all (a 100 ms head start for replies still
 * keeps any one second at 30 or fewer); in a private chat one a second with a burst of 4 (a
 * /panic answers with three messages at once); in a group one every 3 seconds, no burst.
 */
const ALL_CHATS = { key: "{telegram-budget}:all", intervalMs: 37 };
const HEAD_START_MS: Record<SendLane, number> = { reply: 100, background: 0 };
const PRIVATE_CHAT = { intervalMs: 1000, toleranceMs: 3000 };
const GROUP_CHAT = { intervalMs: 3000, toleranceMs: 0 };

/** Methods that put a message in a chat (or change one); everything else passes untouched. */
const SENDS = /^(send(?!ChatAction)|copyMessage|forwardMessage|editMessage)/;

/** Budgets every message the bot sends through the shared Redis rates before it leaves. */
export function sendBudget(budget: RateBudget, lane: SendLane): Transformer {
  return async (previous, method, payload, signal) => {
    // grammY types its signal with an older shim of the same Web API.
    if (SENDS.test(method)) await budget.take(bucketsFor((payload as { chat_id?: unknown }).chat_id, lane), signal as AbortSignal | undefined);
    return previous(method, payload, signal);
  };
}

function bucketsFor(chatId: unknown, lane: SendLane): RateBucket[] {
  const all = { ...ALL_CHATS, toleranceMs: HEAD_START_MS[lane] };
  if (chatId === undefined) return [all];
  // Private chats have the user's (positive) id; groups and channels negative ids or @names.
  const chat = typeof chatId === "number" && chatId > 0 ? PRIVATE_CHAT : GROUP_CHAT;
  return [all, { key: `{telegram-budget}:chat:${rateKeyOf(String(chatId))}`, ...chat }];
}
