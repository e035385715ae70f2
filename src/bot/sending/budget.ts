import { rateKeyOf, type RateBucket } from "../../budget/rate-budget.js";

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
export const TELEGRAM_LIMITS = {
  allChats: { intervalMs: 37, replyHeadStartMs: 100 },
  privateChat: { intervalMs: 1000, toleranceMs: 3000 },
  groupChat: { intervalMs: 3000, toleranceMs: 0 },
};

/** Other figures serve a bot with a higher limit (Telegram's paid broadcasts), or a test that is about something else. */
export type TelegramLimits = typeof TELEGRAM_LIMITS;

/** Methods that put a message in a chat (or change one); everything else passes untouched. */
export const isSend = (method: string) => /^(send(?!ChatAction)|copyMessage|forwardMessage|editMessage)/.test(method);

/** The rates one message to `chatId` counts against. */
export function bucketsFor(chatId: unknown, lane: SendLane, limits: TelegramLimits = TELEGRAM_LIMITS): RateBucket[] {
  const { intervalMs, replyHeadStartMs } = limits.allChats;
  const all = { key: "{telegram-budget}:all", intervalMs, toleranceMs: lane === "reply" ? replyHeadStartMs : 0 };
  if (chatId === undefined) return [all];
  // Private chats have the user's (positive) id; groups and channels negative ids or @names.
  const chat = typeof chatId === "number" && chatId > 0 ? limits.privateChat : limits.groupChat;
  return [all, { key: `{telegram-budget}:chat:${rateKeyOf(String(chatId))}`, ...chat }];
}
