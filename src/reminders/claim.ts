import { evalCached } from "../infra/lua.js";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { RedisClient } from "../infra/redis.js";
import { sentMarkerKey, writeMarker, type ReminderJob } from "./schedule.js";

/** Deletes the marker only while it still holds this claim: a claim that ran out and was taken is someone else's. */
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;
/** Extends the lease only while the marker still holds this claim. */
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`;
const FIRST_RETRY_MS = 100;
const MOST_BETWEEN_RETRIES_MS = 2_000;

/** What an attempt found when it went to claim a reminder. */
export type ClaimOutcome =
  | { held: true; claim: Claim }
  /** Sent already, or the follower is unreachable: nothing to do. */
  | { held: false; done: true }
  /** Another attempt holds it (sending now, or dead with its lease still running): look again in `waitMs`. */
  | { held: false; done: false; waitMs: number };

export interface Claim {
  /** Records the outcome, retrying through a Redis outage until the lease ends; throws only then. */
  record(value: "sent" | "unreachable", ttlSeconds: number): Promise<void>;
  /** Gives the reminder back (nothing was sent); only this claim, never one that replaced it. */
  release(): Promise<void>;
  /** Stops renewing the lease (the attempt is over, however it ended); `record` and `release` do it too. */
  end(): void;
}

/**
 * A claim on one reminder, written before the send with a value of its own and held as a lease:
 * two attempts never send at the same time, and an attempt whose "sent" record is held up by a
 * Redis outage still writes it once Redis is back, before the lease ends. Its length is what
 * separates a dead attempt (its reminder goes out again once the lease runs out) from a lost Redis.
 */
export async function claimReminder(redis: RedisClient, reminder: ReminderJob, leaseMs: number): Promise<ClaimOutcome> {
  const marker = sentMarkerKey(reminder);
  const value = `claimed:${randomUUID()}`;
  if ((await redis.set(marker, value, "PX", leaseMs, "NX")) !== "OK") {
    const [state, ttl] = await Promise.all([redis.get(marker), redis.pttl(marker)]);
    if (state !== null && !state.startsWith("claimed")) return { held: false, done: true };
    return { held: false, done: false, waitMs: Math.max(ttl, 0) };
  }
  // Renewed while this attempt lives (a send can wait its turn in the budget for long): the lease runs
  // out only once the attempt is dead, or Redis has been out of its reach for that long.
  let until = Date.now() + leaseMs;
  const renewing = setInterval(
    () => {
      void evalCached(redis, RENEW, 1, marker, value, leaseMs).then(
        (renewed) => void (renewed === 1 && (until = Date.now() + leaseMs)),
        () => undefined,
      );
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  renewing.unref();
  const end = () => clearInterval(renewing);
  return {
    held: true,
    claim: {
      end,
      async record(state, ttlSeconds) {
        end();
        for (let wait = FIRST_RETRY_MS; ; wait = Math.min(wait * 2, MOST_BETWEEN_RETRIES_MS)) {
          try {
            // Whatever holds the marker now: Telegram took this attempt's message, and that is the truth to keep.
            return await writeMarker(redis, reminder, state, ["EX", ttlSeconds]);
          } catch (error) {
            if (Date.now() + wait >= until) throw error;
            await sleep(wait);
          }
        }
      },
      async release() {
        end();
        await evalCached(redis, RELEASE, 1, marker, value);
      },
    },
  };
}
