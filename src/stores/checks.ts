import { evalCached } from "../infra/lua.js";
import type { RedisClient } from "../infra/redis.js";

/** A key check that began and never ended: its process died while Bybit was being asked. */
export interface InterruptedCheck {
  userId: number;
  /** The follower's key when the check began, if any: another one now means the new key was stored. */
  previousRef: string | null;
}

/**
 * Key checks under way, by follower, so that one cut short by a crash is noticed: the update
 * that carried the key is gone with the process, and the follower would be left at "Checking
 * the key with Bybit…". Holds follower ids and times only.
 */
export interface ChecksUnderWay {
  begin(userId: number, previousRef: string | null, at: number): Promise<void>;
  /** Says the check is still running (a check whose last beat is old was cut short). */
  beat(userId: number, previousRef: string | null, at: number): Promise<void>;
  /** True if the check was still under way (no one else has claimed it). */
  end(userId: number, previousRef: string | null): Promise<boolean>;
  /** Takes (once, across processes) the checks whose last beat came before `before`: no live process is running them. */
  claimSilentSince(before: number, limit: number): Promise<InterruptedCheck[]>;
}

const UNDER_WAY_KEY = "{checks}:under-way";

/**
 * KEYS: the set. ARGV: before, limit. The ZADD XX of no member writes nothing, but Redis refuses it
 * while it refuses writes (at its memory limit): no check is claimed then, since its process may
 * be alive and waiting to tell the follower itself (cut-short.ts), and a claim would outrun it.
 */
const CLAIM = `
redis.call("ZADD", KEYS[1], "XX", 0, "write-probe")
local found = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. ARGV[1], "WITHSCORES", "LIMIT", 0, ARGV[2])
for i = 1, #found, 2 do redis.call("ZREM", KEYS[1], found[i]) end
return found`;

const memberOf = (userId: number, previousRef: string | null) => `${userId} ${previousRef ?? "-"}`;

/** `key` is another set where processes must not share theirs (tests sharing one Redis). */
export function createChecksUnderWay(redis: RedisClient, key = UNDER_WAY_KEY): ChecksUnderWay {
  return {
    async begin(userId, previousRef, at) {
      await redis.zadd(key, at, memberOf(userId, previousRef));
    },
    async beat(userId, previousRef, at) {
      // XX: a beat never brings back a check that has ended.
      await redis.zadd(key, "XX", at, memberOf(userId, previousRef));
    },
    async end(userId, previousRef) {
      return (await redis.zrem(key, memberOf(userId, previousRef))) === 1;
    },
    async claimSilentSince(before, limit) {
      const found = (await evalCached(redis, CLAIM, 1, key, before, limit)) as string[];
      const checks: InterruptedCheck[] = [];
      for (let i = 0; i < found.length; i += 2) {
        const [userId, previousRef] = found[i]!.split(" ");
        checks.push({ userId: Number(userId), previousRef: previousRef === "-" ? null : previousRef! });
      }
      return checks;
    },
  };
}
