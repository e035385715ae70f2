import { digestOf, type KeyIdentity } from "../infra/key-fields.js";
import type { RedisClient } from "../infra/redis.js";

/**
 * Keys frozen as leaked (by /panic, or by the key watch when a key could move money): never to be
 * connected again, by anyone. An exchange's key ids are unique across that exchange, so one list
 * per exchange serves every follower; it holds hashes only and names no follower, so it stays after
 * /forget.
 */
export interface KeyDenylist {
  add(key: KeyIdentity): Promise<void>;
  has(key: KeyIdentity): Promise<boolean>;
}

const denylistKey = (exchange: string) => `denied-${exchange}-keys`;

export function createKeyDenylist(redis: RedisClient): KeyDenylist {
  return {
    async add(key) {
      await redis.sadd(denylistKey(key.exchange), digestOf(key));
    },
    async has(key) {
      return (await redis.sismember(denylistKey(key.exchange), digestOf(key))) === 1;
    },
  };
}
