import { createConversation } from "@grammyjs/conversations";
import { Composer, InlineKeyboard, type Context } from "grammy";
import type { Logger } from "pino";
import type { Exchange, KeyInspection } from "../../exchange/bybit.js";
import type { Reminders } from "../../jobs/reminders.js";
import type { ApiKeyFacts, Credentials } from "../../policy/api-key.js";
import { parseCredentialText } from "../../policy/credential-format.js";
import { evaluateKey, type PolicyWarning } from "../../policy/key-policy.js";
import type { RotationRules } from "../../policy/rotation.js";
import type { CredentialRecord, CredentialStore } from "../../vault/credential-store.js";
import type { BotContext, BotConversation } from "../context.js";
import type { Shredder } from "../shredder.js";
import { texts } from "../texts.js";

export interface ConnectDeps {
  credentials: CredentialStore;
  exchange: Exchange;
  reminders: Reminders;
  shredder: Shredder;
  clock: () => number;
  egressIps: readonly string[];
  rotation: RotationRules;
  logger: Logger;
}

/** `connect` asks before replacing a working key; `rotate` is the same flow, worded for replacing one. */
export type ConnectMode = "connect" | "rotate";

/** Each step waits this long for the follower; after that the flow is dropped as if it never started. */
const STEP_TIMEOUT_MS = 10 * 60_000;

const html = { parse_mode: "HTML" } as const;
const instructions = { ...html, link_preview_options: { is_disabled: true } } as const;

/** `/connect` (and `/start` without a key) in a private chat; `/cancel` leaves it at any step. */
export function connectFeature(deps: ConnectDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");

  // Before the conversation, so that it is heard at every step of it.
  dm.command("cancel", async (ctx) => {
    const wasConnecting = ctx.conversation.active("connect") > 0;
    await ctx.conversation.exitAll();
    await ctx.reply(wasConnecting ? texts.cancelled : texts.nothingToCancel);
  });

  dm.use(createConversation(connectConversation(deps), { id: "connect", maxMillisecondsToWait: STEP_TIMEOUT_MS }));

  dm.command("connect", (ctx) => ctx.conversation.enter("connect", "connect" satisfies ConnectMode));
  dm.command("start", async (ctx) => {
    const record = await deps.credentials.current(ctx.from.id);
    if (record?.status === "active") return ctx.reply(texts.welcomeBack(record), html);
    await ctx.conversation.enter("connect", "connect" satisfies ConnectMode);
  });
  return feature;
}

function connectConversation(deps: ConnectDeps) {
  return async function connect(conversation: BotConversation, ctx: Context, mode: ConnectMode = "connect"): Promise<void> {
    const userId = ctx.from!.id;
    const previous = await conversation.external(() => deps.credentials.current(userId));
    if (mode === "rotate") {
      if (!previous) {
        await ctx.reply(texts.nothingToRotate);
        return;
      }
      await ctx.reply(texts.rotateInstructions(previous, deps.egressIps), instructions);
    } else {
      if (previous?.status === "active" && !(await confirmReplacement(conversation, ctx, previous))) return;
      await ctx.reply(texts.connectInstructions(deps.egressIps), instructions);
    }
    const credentials = await receiveCredentials(conversation, deps.shredder);

    await ctx.reply(texts.checking);
    const inspection = await conversation.external(() => deps.exchange.inspectKey(credentials));
    const now = await conversation.external(() => deps.clock());
    const judgement = judge(inspection, previous, deps, now);
    if (!judgement.accepted) {
      const stays = previous?.status === "active" ? `\n\n${texts.existingStays(previous)}` : "";
      await ctx.reply(judgement.reply + stays, html);
      return;
    }

    const stored = await conversation.external(() => store(deps, userId, credentials, judgement.key, previous, now));
    if (!stored) {
      await ctx.reply(texts.saveFailed, html);
      return;
    }
    const lines = [
      texts.connected(stored.record, judgement.equityUsd, judgement.warnings, now),
      ...(stored.times ? [texts.reminderSchedule(stored.times, now)] : []),
      ...(previous ? [texts.deleteOldKey(previous)] : []),
    ];
    await ctx.reply(lines.join("\n\n"), html);
  };
}

type Judgement =
  | { accepted: true; key: ApiKeyFacts; equityUsd: string | null; warnings: PolicyWarning[] }
  | { accepted: false; reply: string };

function judge(inspection: KeyInspection, previous: CredentialRecord | null, deps: ConnectDeps, now: number): Judgement {
  if (!inspection.ok) return { accepted: false, reply: texts.exchangeFailure(inspection.failure) };
  if (previous && previous.bybitKeyId === inspection.key.id) return { accepted: false, reply: texts.sameKey };
  const verdict = evaluateKey({ key: inspection.key, egressIps: deps.egressIps, now, rotateAfterDays: deps.rotation.rotateAfterDays });
  if (!verdict.accepted) return { accepted: false, reply: texts.refused(inspection.key.name, verdict.reasons) };
  return { accepted: true, key: inspection.key, equityUsd: inspection.equityUsd, warnings: verdict.warnings };
}

/**
 * Stores the new credential in place of the old one (one Redis transaction), then moves the
 * reminders. Until they are moved, the old reminders find their credential replaced and send
 * nothing; if scheduling fails, the worker's sweep at start schedules them again.
 */
async function store(
  deps: ConnectDeps,
  userId: number,
  credentials: Credentials,
  key: ApiKeyFacts,
  previous: CredentialRecord | null,
  now: number,
) {
  let record: CredentialRecord;
  try {
    record = await deps.credentials.save(userId, credentials, key, now);
  } catch (error) {
    deps.logger.error({ err: error, userId }, "storing a credential failed");
    return null;
  }
  try {
    const times = await deps.reminders.schedule(record);
    if (previous) await deps.reminders.cancel(previous);
    return { record, times };
  } catch (error) {
    deps.logger.error({ err: error, userId }, "scheduling reminders failed; the worker's sweep will schedule them");
    return { record, times: null };
  }
}

async function confirmReplacement(conversation: BotConversation, ctx: Context, existing: CredentialRecord): Promise<boolean> {
  const keyboard = new InlineKeyboard().text(texts.replaceButton, "connect:replace").text(texts.keepButton, "connect:keep");
  await ctx.reply(texts.replaceExisting(existing), { ...html, reply_markup: keyboard });
  const answer = await conversation.waitForCallbackQuery(["connect:replace", "connect:keep"], {
    otherwise: (other) => other.reply(texts.pickAnswer),
  });
  const replace = answer.callbackQuery.data === "connect:replace";
  await answer.answerCallbackQuery();
  await answer.editMessageText(replace ? texts.replacing : texts.keptExisting);
  return replace;
}

/**
 * Waits for the key and the secret, in two messages or in one. Every message at these steps
 * is deleted before anything else is done with it, even one that turns out malformed:
 * a mistyped secret is still most of a secret.
 */
async function receiveCredentials(conversation: BotConversation, shredder: Shredder): Promise<Credentials> {
  let apiKey: string | null = null;
  for (;;) {
    const ctx = await conversation.waitFor("message");
    const { message } = ctx;
    if (message.text?.startsWith("/")) {
      await ctx.reply(texts.commandDuringFlow);
      continue;
    }
    const shredding = await conversation.external(() => shredder.shred(message.chat.id, message.message_id));
    if (!shredding.deleted) await ctx.reply(texts.deleteItYourself(shredding.reason));
    if (message.text === undefined) {
      await ctx.reply(texts.textOnly);
      continue;
    }

    const parsed = parseCredentialText(message.text);
    if (parsed.kind === "pair") return { apiKey: parsed.apiKey, apiSecret: parsed.apiSecret };
    if (apiKey === null && parsed.kind === "key") {
      apiKey = parsed.apiKey;
      await ctx.reply(texts.askSecret, html);
    } else if (apiKey !== null && parsed.kind === "secret") {
      return { apiKey, apiSecret: parsed.apiSecret };
    } else {
      await ctx.reply(apiKey === null ? texts.notAKey : texts.notASecret);
    }
  }
}
