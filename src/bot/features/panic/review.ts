import type { Context } from "grammy";
import { foreignFills, type AccountSnapshot } from "../../../policy/account.js";
import type { PanicFlow, PanicStore } from "../../../vault/panic-store.js";
import { splitIntoMessages } from "../../split-messages.js";
import { texts } from "../../texts.js";

const html = { parse_mode: "HTML" } as const;

export interface ReviewDeps {
  panics: PanicStore;
  orderLinkIdPrefix: string;
  supportContact: string | null;
}

/**
 * Ends the flow (the key, its secret and the snapshot go for good, the facts stay), then says so,
 * goes through what stays open, and says what to do next. Whoever ends the flow first speaks;
 * a second caller (the other button, or the snapshot finding the key dead) says nothing.
 */
export async function finish(ctx: Context, deps: ReviewDeps, flow: PanicFlow, revokedVerified: boolean, headline?: string): Promise<void> {
  const { record } = flow;
  const facts = { keyName: record.name, maskedKey: record.maskedKey, frozenAt: flow.frozenAt, revokedVerified };
  if (!(await deps.panics.finish(record.userId, record.ref, facts))) return;
  await ctx.reply(headline ?? (revokedVerified ? texts.revokedVerified(facts) : texts.forgotUnverified(facts)), html);
  const snapshot = flow.snapshot.state === "ready" ? flow.snapshot.snapshot : null;
  for (const message of review(snapshot, deps.orderLinkIdPrefix)) await ctx.reply(message, html);
  await ctx.reply(texts.afterPanic(deps.supportContact), html);
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
