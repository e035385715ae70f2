import { evalCached } from "../infra/lua.js";
import { randomUUID } from "node:crypto";
import type { RedisClient } from "../infra/redis.js";
import { EMIT_LUA } from "../events/outbox.js";
import { digestOf, IDENTITY_LUA, identityAt, type KeyIdentity } from "../infra/key-fields.js";
import { followerKeys } from "../infra/redis-keys.js";

/**
 * One key, one follower. The index names, per key (by the hash of its identity, as the denylist
 * does), the followers who hold or are about to store it: a hash of follower id -> claim
 * (`<ms>:<nonce>`), under a hash tag of its own. A follower's slot and the index live in
 * different Redis Cluster slots, so they are kept in separate steps, in an order that fails
 * closed: a key is claimed here before it is saved, and let go of only once the slot no longer
 * holds it. A claim younger than CLAIM_FRESH_MS holds whatever the slot says (its save may be
 * under way); an older one holds only while its follower's slot (or a /panic flow of theirs) still
 * holds that key, so a claim left by a crash, a purge or a replacement blocks no one for long.
 */
export interface KeyHolders {
  /** Claims the key for the follower: a token, or null while another follower holds it (or claims it at once). */
  claim(userId: number, key: KeyIdentity): Promise<string | null>;
  /**
   * Lets go of the follower's claim once their slot no longer holds the key: only the claim `token`,
   * when given; otherwise a fresh claim (a save that may be under way) is kept, unless `own` (the
   * follower's own step: a purge, a replacement, /forget).
   */
  release(userId: number, key: KeyIdentity, which?: { token: string } | "own"): Promise<void>;
  /** Records a key stored before the index existed (a claim already there is kept). */
  ensure(userId: number, key: KeyIdentity): Promise<void>;
  /** The other followers who hold the key now: their slot holds it, or their claim is fresh. */
  others(userId: number, key: KeyIdentity): Promise<number[]>;
  /** Every follower named for the key, live or not. */
  named(key: KeyIdentity): Promise<number[]>;
}

export const CLAIM_FRESH_MS = 10 * 60_000;
export const holdersKey = (key: KeyIdentity) => `key-holders:{${digestOf(key)}}`;

/**
 * KEYS: the index. ARGV: the follower, the new claim, then `follower, claim` pairs read as stale.
 * Claims only if no one else is named but those stale claims, unchanged (dropped here).
 */
const CLAIM = `
local stale = {}
for i = 3, #ARGV, 2 do stale[ARGV[i]] = ARGV[i + 1] end
local named = redis.call("HGETALL", KEYS[1])
for i = 1, #named, 2 do
  if named[i] ~= ARGV[1] and stale[named[i]] ~= named[i + 1] then return 0 end
end
for follower, claim in pairs(stale) do redis.call("HDEL", KEYS[1], follower) end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** KEYS: the index. ARGV: the follower, the claim read. */
const DROP_IF_UNCHANGED = `
if redis.call("HGET", KEYS[1], ARGV[1]) == ARGV[2] then return redis.call("HDEL", KEYS[1], ARGV[1]) end
return 0`;

const fresh = (claim: string, now: number) => now - Number(claim.split(":")[0]) < CLAIM_FRESH_MS;

export function createKeyHolders(redis: RedisClient, clock: () => number = Date.now): KeyHolders {
  /** The follower's slot holds the key, or a /panic flow of theirs does (frozen, until the denylist surely has it). */
  async function holds(userId: number, key: KeyIdentity): Promise<boolean> {
    const keys = followerKeys(userId);
    const same = (held: KeyIdentity | null) => held !== null && digestOf(held) === digestOf(key);
    if (same(await identityAt(redis, keys.credential))) return true;
    for (const ref of await redis.smembers(keys.panics)) {
      if (same(await identityAt(redis, keys.panic(ref)))) return true;
    }
    return false;
  }

  /** Splits the other followers named for the key into live holders and stale claims. */
  async function sort(userId: number, key: KeyIdentity): Promise<{ live: number[]; stale: string[] }> {
    const named = await redis.hgetall(holdersKey(key));
    const live: number[] = [];
    const stale: string[] = [];
    for (const [follower, claim] of Object.entries(named)) {
      if (follower === String(userId)) continue;
      if (fresh(claim, clock()) || (await holds(Number(follower), key))) live.push(Number(follower));
      else stale.push(follower, claim);
    }
    return { live, stale };
  }

  return {
    async claim(userId, key) {
      const { live, stale } = await sort(userId, key);
      if (live.length > 0) return null;
      const token = `${clock()}:${randomUUID().slice(0, 8)}`;
      return (await evalCached(redis, CLAIM, 1, holdersKey(key), userId, token, ...stale)) === 1 ? token : null;
    },

    async release(userId, key, which) {
      const claim = await redis.hget(holdersKey(key), String(userId));
      if (claim === null) return;
      if (typeof which === "object" ? claim !== which.token : which !== "own" && fresh(claim, clock())) return;
      if (await holds(userId, key)) return;
      await evalCached(redis, DROP_IF_UNCHANGED, 1, holdersKey(key), userId, claim);
    },

    async ensure(userId, key) {
      await redis.hsetnx(holdersKey(key), String(userId), "0:stored");
    },

    others: async (userId, key) => (await sort(userId, key)).live,

    named: async (key) => (await redis.hkeys(holdersKey(key))).map(Number),
  };
}

/**
 * KEYS: the credential, the outbox. ARGV: the exchange's key id, the follower, the notice owed, the exchange,
 * the site.
 * Freezes the follower's key if it is that key and still usable or able to come back
 * (active, expired, unreadable), owes them the notice, and writes the "frozen" event.
 */
const FREEZE_SHARED = `${EMIT_LUA}${IDENTITY_LUA}
if keyIdOf(KEYS[1]) ~= ARGV[1] or exchangeOf(KEYS[1]) ~= ARGV[4] or siteOf(KEYS[1]) ~= ARGV[5] then return 0 end
local status = redis.call("HGET", KEYS[1], "status") or "active"
if status == "frozen" or status == "deleted" then return 0 end
redis.call("HSET", KEYS[1], "status", "frozen", "watchNotice", ARGV[3])
redis.call("HDEL", KEYS[1], "watchNoticeClaim")
emit(KEYS[2], event("frozen", ARGV[2], KEYS[1], { "by", "shared" }))
return redis.call("HGET", KEYS[1], "ref")`;

/** Freezes the follower's copy of a shared or leaked key, owing them `notice` (JSON): its ref, or null if none. */
export async function freezeSharedCopy(
  redis: RedisClient,
  userId: number,
  key: KeyIdentity,
  notice: string,
): Promise<string | null> {
  const keys = followerKeys(userId);
  const { exchangeKeyId, exchange, site } = key;
  const args = [exchangeKeyId, userId, notice, exchange, site];
  const ref = await evalCached(redis, FREEZE_SHARED, 2, keys.credential, keys.outbox, ...args);
  return typeof ref === "string" ? ref : null;
}
