import type { Context } from "grammy";
import { foreignFills } from "../../../policy/account.js";
import type { CredentialStore } from "../../../stores/credential-store.js";
import type { PanicFlow, PanicStore, ReadAccount } from "../../../stores/panic-store.js";
import { splitIntoMessages } from "../../split-messages.js";
import { textsOf, type Texts } from "../../texts.js";

const html = { parse_mode: "HTML" } as const;

export interface ReviewDeps {
  credentials: CredentialStore;
  panics: PanicStore;
  orderLinkIdPrefix: string;
  supportContact: string | null;
}

/**
 * Ends the flow (the key, its secret or private key, and the snapshot go for good, the facts stay), then says so,
 * goes through what stays open, and says what to do next. Whoever ends the flow first speaks;
 * a second caller (the other button, or the snapshot finding the key dead) says nothing.
 */
export async function finish(
  ctx: Context,
  deps: ReviewDeps,
  flow: PanicFlow,
  revokedVerified: boolean,
  headline?: string,
): Promise<void> {
  const { record } = flow;
  const texts = textsOf(ctx);
  const facts = { keyName: record.name, maskedKey: record.maskedKey, frozenAt: flow.frozenAt, revokedVerified };
  if (!(await deps.panics.finish(record.userId, record.ref, facts))) return;
  await ctx.reply(
    headline ?? (revokedVerified ? texts.revokedVerified(facts) : texts.forgotUnverified(facts, record)),
    html,
  );
  for (const message of review(texts, flow.snapshot.state === "ready" ? flow.snapshot : null, deps.orderLinkIdPrefix))
    await ctx.reply(message, html);
  const connected = (await deps.credentials.current(record.userId))?.status === "active";
  await ctx.reply(texts.afterPanic(deps.supportContact, connected), html);
}

/** What the account held when it was read, said as of then: the key kept working until it was deleted. */
function review(texts: Texts, read: ReadAccount | null, orderLinkIdPrefix: string): string[] {
  if (!read) return [texts.reviewUnavailable];
  const { snapshot } = read;
  const lines: string[] = [texts.reviewAsOf(read.readAt), ""];
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
