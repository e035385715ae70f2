import { limit } from "@grammyjs/ratelimiter";
import type { MiddlewareFn } from "grammy";
import type { Redis } from "ioredis";
import { rateKeyOf } from "../../budget/rate-budget.js";
import type { Metrics } from "../../metrics/metrics.js";
import type { BotContext } from "../context.js";
import { texts } from "../texts.js";

/**
 * Per follower, across all bot processes: a person pasting a key and its secret, tapping a
 * few buttons and sending a command or two stays far below this; a script or a stuck client
 * does not, and must not crowd out the others.
 */
export const UPDATES_PER_WINDOW = 20;
export const WINDOW_MS = 10_000;

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
 * Drops a follower's updates past the limit, after one polite word in a private chat. Runs
 * after the credential guard, so a key sent over the limit is deleted all the same. `exempt`
 * updates (/panic) are neither counted nor dropped: freezing a key never waits.
 */
export function limitUpdates(redis: Redis, metrics: Metrics, exempt: (ctx: BotContext) => boolean): MiddlewareFn<BotContext> {
  const limited = limit<BotContext, { incr(key: string): Promise<number>; pexpire(): Promise<number> }>({
    timeFrame: WINDOW_MS,
    limit: UPDATES_PER_WINDOW,
    storageClient: { incr: async (key) => Number(await redis.eval(INCREMENT, 1, key, WINDOW_MS)), pexpire: async () => 1 },
    keyPrefix: "",
    keyGenerator: (ctx) => (ctx.from ? `updates:${rateKeyOf(ctx.from.id)}` : undefined),
    // Once per window: the plugin calls this for the first update over the limit only.
    onLimitExceeded: async (ctx) => {
      metrics.updatesOverLimit.inc();
      if (ctx.chat?.type === "private") await ctx.reply(texts.slowDown(Math.round(WINDOW_MS / 1000)));
    },
  });
  return (ctx, next) => (exempt(ctx) ? next() : limited(ctx, next));
}
