import { evalCached } from "../infra/lua.js";
import { createHash } from "node:crypto";
import type { RedisClient } from "../infra/redis.js";

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

/**
 * How a caller waits. `queue`: it books the earliest free moment in every bucket and goes then,
 * first come first served, one request to Redis per message. `yield`: it goes only when every
 * bucket is free right now, books nothing ahead, and asks again later otherwise; booked
 * moments of `queue` callers always come first.
 */
export type WaitMode = "queue" | "yield";

export interface RateBudget {
  /** Waits until every bucket has room, then takes one from each, all or none. */
  take(buckets: readonly RateBucket[], signal?: AbortSignal, mode?: WaitMode): Promise<void>;
  /** Takes one from each bucket if all have room now; otherwise takes nothing and says how long until they would (ms). */
  tryTake(buckets: readonly RateBucket[]): Promise<number>;
}

/**
 * GCRA over all buckets at once, timed by Redis' own clock so that processes on different
 * machines agree. KEYS: the buckets (one hash slot). ARGV: interval and tolerance per bucket,
 * then 1 to book ahead (queue) or 0 (yield). Returns how many milliseconds to wait: for a
 * booking, until the booked moment (0: go now); otherwise, before asking again (0: taken).
 */
const TAKE = `
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local book = ARGV[2 * #KEYS + 1] == "1"
local start = now
local arrivals = {}
for i, key in ipairs(KEYS) do
  arrivals[i] = math.max(tonumber(redis.call("GET", key) or now), now)
  start = math.max(start, arrivals[i] - tonumber(ARGV[2 * i]))
end
-- Rounded up: Redis truncates a fractional reply, and 0.4 ms to go would read as "taken".
if start > now and not book then return math.ceil(start - now) end
for i, key in ipairs(KEYS) do
  local next_arrival = math.max(arrivals[i], start) + tonumber(ARGV[2 * i - 1])
  redis.call("SET", key, next_arrival, "PX", math.ceil(next_arrival - now + 1000))
end
return math.ceil(start - now)`;

/**
 * Names a rate kept for one follower or chat by a hash of the id, not the id itself: such a key
 * outlives /forget by a few seconds and holds only a count or a time. (A hash of a Telegram id
 * can be reversed by trying every id: this keeps ids out of key names, it does not hide them.)
 */
export const rateKeyOf = (id: number | string) =>
  createHash("sha256").update(String(id)).digest("base64url").slice(0, 16);

/**
 * One question to a budget: take one from each bucket now (book: or book the earliest free moment
 * in all of them). Answers how many ms to wait: for a booking, until the booked moment (0: go
 * now); otherwise, before asking again (0: taken).
 */
export type AskBudget = (buckets: readonly RateBucket[], book: boolean) => Promise<number>;

/** `keyPrefix` keeps budgets that must not meet apart (tests sharing one Redis). */
export function createRateBudget(redis: RedisClient, keyPrefix = ""): RateBudget {
  return budgetOver(askRedis(redis, keyPrefix));
}

/** The shared budget's one question, asked of Redis. */
export function askRedis(redis: RedisClient, keyPrefix = ""): AskBudget {
  return async (buckets, book) => {
    const args = [...buckets.flatMap((bucket) => [bucket.intervalMs, bucket.toleranceMs]), book ? 1 : 0];
    return Number(
      await evalCached(redis, TAKE, buckets.length, ...buckets.map((bucket) => keyPrefix + bucket.key), ...args),
    );
  };
}

/** A RateBudget that asks `ask`, and waits as its answers say. */
export function budgetOver(ask: AskBudget): RateBudget {
  return {
    tryTake: (buckets) => ask(buckets, false),
    async take(buckets, signal, mode = "queue") {
      for (;;) {
        if (signal?.aborted) throw new Error("aborted while waiting for the rate budget");
        const wait = await ask(buckets, mode === "queue");
        if (wait > 0) await sleep(wait, signal);
        // A booking is kept by going at its moment; a yielding caller asks again.
        if (mode === "queue" || wait <= 0) return;
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
