import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * One rate, shared by every process through Redis: at most one event per `intervalMs` on
 * average, with up to `toleranceMs` of early arrivals allowed (a burst of about
 * toleranceMs / intervalMs + 1).
 */
export interface RateBucket {
  key: string;
  intervalMs: number;
  toleranceMs: number;
}

export interface RateBudget {
  /** Waits until every bucket has room, then takes one from each, all or none. */
  take(buckets: readonly RateBucket[], signal?: AbortSignal): Promise<void>;
}

/**
 * GCRA over all buckets at once, timed by Redis' own clock so that processes on different
 * machines agree. KEYS: the buckets (one hash slot). ARGV: interval and tolerance per bucket.
 * Returns 0 when taken, else how many milliseconds to wait before asking again.
 */
const TAKE = `
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local wait = 0
local next_arrival = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local arrival = math.max(tonumber(redis.call("GET", key) or now), now)
  wait = math.max(wait, arrival - tolerance - now)
  next_arrival[i] = arrival + interval
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call("SET", key, next_arrival[i], "PX", next_arrival[i] - now + 1000)
end
return 0`;

/** `keyPrefix` keeps budgets that must not meet apart (tests sharing one Redis). */
/**
 * Names a rate kept for one follower or chat without their id: such a key outlives /forget by
 * a few seconds and holds only a count or a time, so it should not name anyone.
 */
export const rateKeyOf = (id: number | string) => createHash("sha256").update(String(id)).digest("base64url").slice(0, 16);

export function createRateBudget(redis: Redis, keyPrefix = ""): RateBudget {
  return {
    async take(buckets, signal) {
      const keys = buckets.map((bucket) => keyPrefix + bucket.key);
      const args = buckets.flatMap((bucket) => [bucket.intervalMs, bucket.toleranceMs]);
      for (;;) {
        if (signal?.aborted) throw new Error("aborted while waiting for the rate budget");
        const wait = Number(await redis.eval(TAKE, keys.length, ...keys, ...args));
        if (wait <= 0) return;
        await sleep(wait, signal);
      }
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new Error("aborted while waiting for the rate budget"));
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
