import { Composer } from "grammy";
import type { CredentialRecord, CredentialStore } from "../../../stores/credential-store.js";
import type { PendingKeyPairs } from "../../../stores/key-pairs.js";
import type { WebTickets } from "../../../stores/web-tickets.js";
import type { BotContext } from "../../context.js";
import { textsOf, type Texts } from "../../texts.js";

export interface LeavingDeps {
  credentials: Pick<CredentialStore, "current">;
  pendingKeyPairs: Pick<PendingKeyPairs, "discard">;
  webTickets?: Pick<WebTickets, "revoke">;
}

const html = { parse_mode: "HTML" } as const;

/**
 * Leaving the flow ends its web tickets: a Connect with Bybit start page or approval, or a Mini App form, still
 * open connects nothing after it. A Redis fault costs only that (a ticket expires within ten minutes).
 */
export async function endApproval(deps: Pick<LeavingDeps, "webTickets">, userId: number): Promise<void> {
  await Promise.all(
    (["oauth", "webapp"] as const).map((purpose) => deps.webTickets?.revoke(userId, purpose).catch(() => undefined)),
  );
}

export const cancelled = (texts: Texts, current: CredentialRecord | null) =>
  current?.status === "active" ? texts.cancelledKeyStays(current) : texts.cancelled;

/**
 * The commands that end a connect flow, heard before the conversation so that they work at every step of it
 * (the Cancel button is the flow's own: steps.ts). Whatever ends the flow takes its key pair and web tickets.
 */
export function leavingFlow(deps: LeavingDeps): Composer<BotContext> {
  const leaving = new Composer<BotContext>();
  const dm = leaving.chatType("private");
  const end = async (ctx: BotContext & { from: { id: number } }) => {
    await ctx.conversation.exitAll();
    await deps.pendingKeyPairs.discard(ctx.from.id);
    await endApproval(deps, ctx.from.id);
  };

  dm.command("cancel", async (ctx) => {
    const texts = textsOf(ctx);
    const wasConnecting = ctx.conversation.active("connect") > 0;
    await end(ctx);
    if (!wasConnecting) return ctx.reply(texts.nothingToCancel);
    await ctx.reply(cancelled(texts, await deps.credentials.current(ctx.from.id)), html);
  });

  // /forget and /disconnect mid-flow: the flow ends first, and says so, and the command goes on as anywhere.
  dm.command(["forget", "disconnect"], async (ctx, next) => {
    if (ctx.conversation.active("connect") > 0) {
      await end(ctx);
      await ctx.reply(textsOf(ctx).flowEndedByCommand);
    }
    await next();
  });

  // `/connect <site>` mid-flow starts over for that site (a plain /connect shows the step again).
  dm.command("connect", async (ctx, next) => {
    if (ctx.match.trim() && !ctx.shredding && ctx.conversation.active("connect") > 0) await end(ctx);
    await next();
  });
  return leaving;
}
