import type { MiddlewareFn } from "grammy";
import type { Metrics } from "../../metrics/metrics.js";
import type { BotContext } from "../context.js";

/**
 * Updates of one chat waiting in its queue in this process, at most. Each waiting update holds one
 * of the runner's slots, and a chat whose replies go out more slowly than its updates come in
 * (a group: one reply per 3 s) would otherwise fill them all, until polling stops for everyone,
 * and with it the deletion of keys at intake.
 */
export const BACKLOG_PER_CHAT = 10;

/** `exempt` updates (/panic in a private chat) always get a slot: freezing a key never waits. */
export function capBacklog(
  metrics: Metrics,
  exempt: (ctx: BotContext) => boolean,
  perChat = BACKLOG_PER_CHAT,
): MiddlewareFn<BotContext> {
  const waiting = new Map<number, number>();
  return async (ctx, next) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined || exempt(ctx)) return next();
    const count = waiting.get(chatId) ?? 0;
    if (count >= perChat) {
      metrics.updatesDropped.inc({ reason: "backlog" });
      return;
    }
    waiting.set(chatId, count + 1);
    try {
      await next();
    } finally {
      const left = (waiting.get(chatId) ?? 1) - 1;
      if (left > 0) waiting.set(chatId, left);
      else waiting.delete(chatId);
    }
  };
}
