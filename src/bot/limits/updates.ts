import { evalCached } from "../../infra/lua.js";
import { limit } from "@grammyjs/ratelimiter";
import type { Middleware, MiddlewareFn } from "grammy";
import type { RedisClient } from "../../infra/redis.js";
import { rateKeyOf } from "../../budget/rate-budget.js";
import type { Metrics } from "../../metrics/metrics.js";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";

/**
 * Updates the bot takes, across all its processes, before dropping the rest of a window. In a
 * private chat, per follower: pasting a key and its secret, tapping a few buttons and sending a
 * command or two stays below it, and the replies it can cost keep up with the chat's budget of one
 * message a second. In a group or channel, per chat (any number of members, or a channel with no
 * sender at all), counting only what the bot answers: it may answer a group once every 3 s.
 */
export const UPDATE_LIMITS = {
  private: { limit: 10, windowMs: 10_000 },
  group: { limit: 5, windowMs: 15_000 },
};
export type UpdateLimits = typeof UPDATE_LIMITS;

/**
 * INCR and PEXPIRE as one step. The plugin's own Redis store sends them apart, and a crash or
 * a lost connection between the two would leave a counter that never expires: that follower
 * would be ignored for good.
 */
const INCREMENT = `
local hits = redis.call("INCR", KEYS[1])
if hits == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return hits`;

/**
 * Drops updates past the limits, after one polite word per window in a private chat. Runs after
 * the credential guard, so a key sent over the limit is deleted all the same. `exempt` updates
 * (/panic in a private chat) are neither counted nor dropped: freezing a key never waits.
 */
export function limitUpdates(
  redis: RedisClient,
  metrics: Metrics,
  exempt: (ctx: BotContext) => boolean,
  limits: UpdateLimits = UPDATE_LIMITS,
): MiddlewareFn<BotContext> {
  const local = localWindows();
  const limiter = (
    kind: keyof UpdateLimits,
    keyOf: (ctx: BotContext) => string | undefined,
  ): Middleware<BotContext> => {
    const { limit: perWindow, windowMs } = limits[kind];
    return limit<BotContext, { incr(key: string): Promise<number>; pexpire(): Promise<number> }>({
      timeFrame: windowMs,
      limit: perWindow,
      // Counted in the process while Redis refuses the count (at its memory limit, say): an update is never failed for it.
      storageClient: {
        incr: async (key) =>
          Number(await evalCached(redis, INCREMENT, 1, key, windowMs).catch(() => local.incr(key, windowMs))),
        pexpire: async () => 1,
      },
      keyPrefix: "",
      keyGenerator: keyOf,
      // Called for every update over the limit; the word is said once per window, by whichever process sees it first.
      alwaysReply: true,
      onLimitExceeded: async (ctx) => {
        metrics.updatesDropped.inc({ reason: "rate-limit" });
        if (kind !== "private") return;
        const toldKey = `${keyOf(ctx)}:told`;
        const tellLocally = () => (local.incr(toldKey, windowMs) === 1 ? "OK" : null);
        const told = await redis.set(toldKey, "1", "PX", windowMs, "NX").catch(tellLocally);
        if (told === "OK") await ctx.reply(textsOf(ctx).slowDown(Math.round(windowMs / 1000)));
      },
    });
  };
  const privateChats = limiter("private", (ctx) =>
    ctx.chat?.type === "private" && ctx.from ? `updates:${rateKeyOf(ctx.from.id)}` : undefined,
  );
  // In a group only what the bot answers counts (commands, and keys it deletes and warns about): chatter costs nothing.
  const answered = (ctx: BotContext) => ctx.shredding !== undefined || (ctx.msg?.text ?? "").startsWith("/");
  const otherChats = limiter("group", (ctx) =>
    ctx.chat && ctx.chat.type !== "private" && answered(ctx) ? `updates:chat:${rateKeyOf(ctx.chat.id)}` : undefined,
  );
  return (ctx, next) => {
    if (exempt(ctx)) return next();
    const limited = ctx.chat?.type === "private" ? privateChats : otherChats;
    return (limited as MiddlewareFn<BotContext>)(ctx, next);
  };
}

/** Counters that end with their window, in this process: what the limits fall back on for the length of a Redis fault. */
function localWindows() {
  const counts = new Map<string, { hits: number; endsAt: number }>();
  return {
    incr(key: string, windowMs: number): number {
      const now = Date.now();
      if (counts.size > 10_000) for (const [old, entry] of counts) if (entry.endsAt <= now) counts.delete(old);
      const entry = counts.get(key);
      if (!entry || entry.endsAt <= now) {
        counts.set(key, { hits: 1, endsAt: now + windowMs });
        return 1;
      }
      entry.hits += 1;
      return entry.hits;
    },
  };
}
