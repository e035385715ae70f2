import { randomBytes } from "node:crypto";
import { Composer, InlineKeyboard } from "grammy";
import type { Logger } from "pino";
import type { Exchange } from "../../exchange/bybit.js";
import type { Reminders } from "../../jobs/reminders.js";
import { DAY_MS } from "../../policy/key-policy.js";
import { foreignFills, REVIEW_FILLS_DAYS, type AccountSnapshot } from "../../policy/account.js";
import type { CredentialRecord, CredentialStore } from "../../vault/credential-store.js";
import type { FollowerStore, RevocationFacts } from "../../vault/follower-store.js";
import type { BotContext } from "../context.js";
import { splitIntoMessages } from "../split-messages.js";
import { texts } from "../texts.js";

export interface PanicDeps {
  credentials: CredentialStore;
  followers: FollowerStore;
  exchange: Exchange;
  reminders: Reminders;
  clock: () => number;
  orderLinkIdPrefix: string;
  logger: Logger;
}

const html = { parse_mode: "HTML" } as const;

/**
 * `/panic`: revoke first, investigate second. Freezes the key and drops its reminders before
 * anything else, snapshots the account while the key still reads, walks the follower through
 * deleting the key in Bybit, believes the revocation only when Bybit refuses the key, purges
 * everything secret, and shows what stays open. Buttons carry the flow's id, so presses from
 * an earlier flow or from anyone else find nothing to act on.
 */
export function panicFeature(deps: PanicDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");

  dm.command("panic", async (ctx) => {
    // Takes precedence over whatever the follower was doing.
    await ctx.conversation.exitAll();
    const userId = ctx.from.id;
    const record = await deps.credentials.current(userId);
    if (!record) return ctx.reply(texts.panicNoKey, html);

    const frozenAt = deps.clock();
    await deps.credentials.setStatus(userId, record.ref, "frozen");
    await deps.reminders.cancel(record);
    await ctx.reply(texts.panicFrozen(record), html);

    const revealed = await deps.credentials.reveal(userId);
    const result = revealed ? await deps.exchange.snapshot(revealed.credentials, frozenAt - REVIEW_FILLS_DAYS * DAY_MS) : null;
    if (result && !result.ok && (result.failure === "invalid-key" || result.failure === "expired")) {
      await finish(ctx, deps, record, { frozenAt, revokedVerified: true, snapshot: null }, texts.keyAlreadyDead(record));
      return;
    }
    if (!result?.ok) await ctx.reply(texts.snapshotFailed);
    const flowId = randomBytes(6).toString("base64url");
    await deps.followers.beginPanic(userId, { flowId, ref: record.ref, frozenAt, snapshot: result?.ok ? result.snapshot : null });
    await ctx.reply(texts.revokeSteps(record), { ...html, reply_markup: revokeButtons(flowId) });
  });

  dm.callbackQuery(/^panic:(deleted|forget):([\w-]+)$/, async (ctx) => {
    const userId = ctx.from.id;
    const flow = await deps.followers.panic(userId);
    const record = await deps.credentials.current(userId);
    if (!flow || !record || flow.flowId !== ctx.match[2] || flow.ref !== record.ref) return ctx.answerCallbackQuery({ text: texts.buttonExpired });
    await ctx.answerCallbackQuery();

    if (ctx.match[1] === "forget") {
      await finish(ctx, deps, record, { frozenAt: flow.frozenAt, revokedVerified: false, snapshot: flow.snapshot });
      return;
    }
    const revealed = await deps.credentials.reveal(userId);
    const liveness = revealed ? await deps.exchange.isKeyAlive(revealed.credentials) : ({ ok: true, alive: false } as const);
    if (!liveness.ok) return ctx.reply(texts.verifyFailed, { ...html, reply_markup: revokeButtons(flow.flowId) });
    if (liveness.alive) {
      // Never claim a revocation Bybit has not confirmed.
      await ctx.reply(texts.stillActive(record), html);
      return ctx.reply(texts.revokeSteps(record), { ...html, reply_markup: revokeButtons(flow.flowId) });
    }
    await finish(ctx, deps, record, { frozenAt: flow.frozenAt, revokedVerified: true, snapshot: flow.snapshot });
  });

  return feature;
}

function revokeButtons(flowId: string): InlineKeyboard {
  return new InlineKeyboard().text(texts.deletedItButton, `panic:deleted:${flowId}`).row().text(texts.forgetNowButton, `panic:forget:${flowId}`);
}

/** Purges the key for good, then says so, reviews what stays open, and says what to do next. */
async function finish(
  ctx: BotContext,
  deps: PanicDeps,
  record: CredentialRecord,
  outcome: { frozenAt: number; revokedVerified: boolean; snapshot: AccountSnapshot | null },
  headline?: string,
): Promise<void> {
  const facts: RevocationFacts = { keyName: record.name, maskedKey: record.maskedKey, frozenAt: outcome.frozenAt, revokedVerified: outcome.revokedVerified };
  await deps.followers.finishPanic(ctx.from!.id, facts);
  await ctx.reply(headline ?? (outcome.revokedVerified ? texts.revokedVerified(facts) : texts.forgotUnverified(facts)), html);
  for (const message of review(outcome.snapshot, deps.orderLinkIdPrefix)) await ctx.reply(message, html);
  await ctx.reply(texts.afterPanic, html);
}

function review(snapshot: AccountSnapshot | null, orderLinkIdPrefix: string): string[] {
  if (!snapshot) return [texts.reviewUnavailable];
  const lines: string[] = [];
  if (snapshot.positions.length > 0) lines.push(texts.reviewPositionsTitle, ...snapshot.positions.map(texts.position));
  if (snapshot.orders.length > 0) lines.push(...(lines.length > 0 ? [""] : []), texts.reviewOrdersTitle, ...snapshot.orders.map(texts.order));
  if (lines.length === 0) lines.push(texts.reviewNothingOpen);
  const fills = foreignFills(snapshot.fills, orderLinkIdPrefix);
  lines.push("", ...(fills.length > 0 ? [texts.reviewFillsTitle, ...fills.map(texts.fill)] : [texts.reviewNoForeignFills]));
  return splitIntoMessages(lines);
}
