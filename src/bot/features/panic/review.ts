import type { Context } from "grammy";
import { foreignFills } from "../../../policy/account.js";
import type { ReadAccount } from "../../../stores/panic-store.js";
import type { Ending } from "../../../use-cases/revocation.js";
import { splitIntoMessages } from "../../split-messages.js";
import { textsOf, type Texts } from "../../texts.js";

const html = { parse_mode: "HTML" } as const;

export interface ReviewSettings {
  orderLinkIdPrefix: string;
  supportContact: string | null;
}

/**
 * The chat's word on a flow that ended (use-cases/revocation.ts): says so (`headline`, else revoked or
 * forgotten), goes through what stays open, and says what to do next. Whoever ended the flow first
 * speaks; a caller that found it ended already says nothing.
 */
export async function tellEnding(
  ctx: Context,
  settings: ReviewSettings,
  ending: Ending,
  headline?: string,
): Promise<void> {
  if (ending.kind === "already-ended") return;
  const texts = textsOf(ctx);
  const { facts } = ending;
  await ctx.reply(
    headline ?? (facts.revokedVerified ? texts.revokedVerified(facts) : texts.forgotUnverified(facts, ending.record)),
    html,
  );
  for (const message of review(texts, ending.account, settings.orderLinkIdPrefix, facts.revokedVerified))
    await ctx.reply(message, html);
  await ctx.reply(texts.afterPanic(settings.supportContact, ending.keyConnected), html);
}

/**
 * What the account held when it was read, said as of then: the key kept working until it was deleted
 * (`verified`: Bybit said it is; else it may work still, and nothing claims the follower deleted it).
 */
function review(texts: Texts, read: ReadAccount | null, orderLinkIdPrefix: string, verified: boolean): string[] {
  if (!read) return [texts.reviewUnavailable];
  const { snapshot } = read;
  const lines: string[] = [texts.reviewAsOf(read.readAt, verified), ""];
  if (snapshot.positions.length > 0)
    lines.push(texts.reviewPositionsTitle, ...snapshot.positions.map((position) => texts.position(position)));
  if (snapshot.orders.length > 0)
    lines.push(
      ...(snapshot.positions.length > 0 ? [""] : []),
      texts.reviewOrdersTitle,
      ...snapshot.orders.map((order) => texts.order(order)),
    );
  if (snapshot.positions.length + snapshot.orders.length === 0) lines.push(texts.reviewNothingOpen);
  const fills = foreignFills(snapshot.fills, orderLinkIdPrefix);
  lines.push(
    "",
    ...(fills.length > 0
      ? [texts.reviewFillsTitle, ...fills.map((fill) => texts.fill(fill))]
      : [texts.reviewNoForeignFills]),
  );
  return splitIntoMessages(lines);
}
