import { createHash } from "node:crypto";
import type { RedisClient } from "../infra/redis.js";

/**
 * Bybit keys frozen as leaked (by /panic, or by the key watch when a key could move money): never
 * to be connected again, by anyone. Bybit key ids are unique across Bybit, so one list serves
 * every follower; it holds hashes only and names no follower, so it stays after /forget.
 */
export interface KeyDenylist {
  add(bybitKeyId: string): Promise<void>;
  has(bybitKeyId: string): Promise<boolean>;
}

const DENYLIST_KEY = "denied-bybit-keys";
/** What names a Bybit key id in Redis: its hash, never the id itself. */
export const digest = (bybitKeyId: string) => createHash("sha256").update(`bybit:${bybitKeyId}`).digest("hex");

export function createKeyDenylist(redis: RedisClient): KeyDenylist {
  return {
    async add(bybitKeyId) {
      await redis.sadd(DENYLIST_KEY, digest(bybitKeyId));
    },
    async has(bybitKeyId) {
      return (await redis.sismember(DENYLIST_KEY, digest(bybitKeyId))) === 1;
    },
  };
}
