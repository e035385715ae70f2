import { evalCached } from "./lua.js";
import type { RedisClient } from "./redis.js";

/**
 * KEYS: a sorted set scored by when each member may be taken. ARGV: the latest score to take, limit, until.
 * The members due are leased, not removed: their score moves to `until`, out of every other take's reach
 * until then, and they leave the set only when their work is done. A taker that dies leaves them due again.
 */
const LEASE_DUE = `
local found = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, ARGV[2])
for _, member in ipairs(found) do redis.call("ZADD", KEYS[1], "XX", ARGV[3], member) end
return found`;

/** Leases up to `limit` members scored `upTo` or less until `until` (scores in ms); returns them. */
export async function leaseDue(
  redis: RedisClient,
  key: string,
  upTo: number,
  limit: number,
  until: number,
): Promise<string[]> {
  return (await evalCached(redis, LEASE_DUE, 1, key, upTo, limit, until)) as string[];
}

/** Whether any member starts with `prefix`, however large the set (every page of the scan). */
export async function anyMemberStarting(redis: RedisClient, key: string, prefix: string): Promise<boolean> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let cursor = "0";
  do {
    const [next, found] = await redis.zscan(key, cursor, "MATCH", pattern, "COUNT", 1000);
    if (found.length > 0) return true;
    cursor = next;
  } while (cursor !== "0");
  return false;
}
