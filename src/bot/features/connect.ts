import { createConversation } from "@grammyjs/conversations";
import { Composer, InlineKeyboard, type Context } from "grammy";
import type { Logger } from "pino";
import type { Exchange, KeyInspection } from "../../exchange/bybit.js";
import type { ApiKeyFacts, Credentials } from "../../policy/api-key.js";
import { parseCredentialText } from "../../policy/credential-format.js";
import { evaluateKey, type PolicyWarning } from "../../policy/key-policy.js";
import type { CredentialRecord, CredentialStore } from "../../vault/credential-store.js";
import type { BotContext, BotConversation } from "../context.js";
import type { Shredder } from "../shredder.js";
import { texts } from "../texts.js";

export interface ConnectDeps {
  credentials: CredentialStore;
  exchange: Exchange;
  shredder: Shredder;
  clock: () => number;
  egressIps: readonly string[];
  rotateAfterDays: number;
  logger: Logger;
}

/** Each step waits this long for the follower; after that the flow is dropped as if it never started. */
export const STEP_TIMEOUT_MS = 10 * 60_000;

const html = { parse_mode: "HTML" } as const;

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

  dm.command("connect", (ctx) => ctx.conversation.enter("connect"));
  dm.command("start", async (ctx) => {
    const record = await deps.credentials.current(ctx.from.id);
    if (record?.status === "active") return ctx.reply(texts.welcomeBack(record), html);
    await ctx.conversation.enter("connect");
  });
  return feature;
}

function connectConversation(deps: ConnectDeps) {
  return async function connect(conversation: BotConversation, ctx: Context): Promise<void> {
    const userId = ctx.from!.id;
    const stored = await conversation.external(() => deps.credentials.current(userId));
    const existing = stored?.status === "active" ? stored : null;
    if (existing && !(await confirmReplacement(conversation, ctx, existing))) return;

    await ctx.reply(texts.connectInstructions(deps.egressIps), { ...html, link_preview_options: { is_disabled: true } });
    const credentials = await receiveCredentials(conversation, deps.shredder);

    await ctx.reply(texts.checking);
    const inspection = await conversation.external(() => deps.exchange.inspectKey(credentials));
    const now = await conversation.external(() => deps.clock());
    const judgement = judge(inspection, deps, now);
    if (!judgement.accepted) {
      await ctx.reply(existing ? `${judgement.reply}\n\n${texts.existingStays(existing)}` : judgement.reply, html);
      return;
    }

    const record = await conversation.external(() =>
      deps.credentials.save(userId, credentials, judgement.key, now).catch((error: unknown) => {
        deps.logger.error({ err: error, userId }, "storing a credential failed");
        return null;
      }),
    );
    await ctx.reply(record ? texts.connected(record, judgement.equityUsd, judgement.warnings, now) : texts.saveFailed, html);
  };
}

type Judgement =
  | { accepted: true; key: ApiKeyFacts; equityUsd: string | null; warnings: PolicyWarning[] }
  | { accepted: false; reply: string };

function judge(inspection: KeyInspection, deps: ConnectDeps, now: number): Judgement {
  if (!inspection.ok) return { accepted: false, reply: texts.exchangeFailure(inspection.failure) };
  const verdict = evaluateKey({ key: inspection.key, egressIps: deps.egressIps, now, rotateAfterDays: deps.rotateAfterDays });
  if (!verdict.accepted) return { accepted: false, reply: texts.refused(inspection.key.name, verdict.reasons) };
  return { accepted: true, key: inspection.key, equityUsd: inspection.equityUsd, warnings: verdict.warnings };
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
