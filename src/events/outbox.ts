import { IDENTITY_LUA } from "../infra/key-fields.js";
import { evalCached } from "../infra/lua.js";
import type { RedisClient } from "../infra/redis.js";

/**
 * Key lifecycle events, written where the change happens. Each script that changes a key's state
 * appends its event to the follower's outbox (a stream under the follower's hash tag) in the same
 * step, so an event exists exactly when its change does: no crash can come between them, and a
 * script that changes nothing writes nothing. The relay (relay.ts) moves outbox entries on to the
 * one stream the engine reads. Redis Cluster keeps a follower's keys in one slot, and a script
 * may only touch one slot: that is why the outbox, and not the shared stream, is written here.
 */

export type KeyEventType =
  | "connected"
  | "rotated"
  | "frozen"
  | "revoked"
  | "purged"
  | "expired"
  | "deleted"
  | "permissions-changed"
  | "unreadable"
  | "readable"
  | "disconnected"
  | "forgotten";

/** Where the relay finds its work and delivers it; `prefix` keeps tests that share one Redis apart. */
export interface EventKeys {
  /** The stream the engine reads. */
  stream: string;
  /** Followers whose outbox may hold events, each with a count that every nudge increments. */
  pending: string;
  /** The relay's lease: one relay at a time keeps each follower's events in order. */
  relayLock: string;
  /** A list of at most one element, pushed by every nudge: the relay holding the lease waits on it (BLPOP). */
  wake: string;
}

export const eventKeys = (prefix = ""): EventKeys => ({
  stream: `{key-events}${prefix}:stream`,
  pending: `{key-events}${prefix}:pending`,
  relayLock: `{key-events}${prefix}:relay-lock`,
  wake: `{key-events}${prefix}:wake`,
});

/** KEYS: pending, wake. ARGV: the follower. Counts the nudge and wakes the relay (one hash tag: one slot). */
const NUDGE = `
redis.call("ZINCRBY", KEYS[1], 1, ARGV[1])
redis.call("LPUSH", KEYS[2], 1)
redis.call("LTRIM", KEYS[2], 0, 0)
return 0`;

/** An outbox holds at most this many events (a relay stopped for days); far more than any follower makes. */
const OUTBOX_MAX = 10_000;

/**
 * Lua, included at the top of every script that changes a key's state: `event(type, userId, hash,
 * extra)` makes an event's fields (the key's ref, exchange and its id of the key, masked key and name read from `hash`, and
 * `at`: Redis' clock, in ms, shared by every process), `emit(outbox, fields)` appends it.
 */
export const EMIT_LUA = `${IDENTITY_LUA}
local function emit(outbox, fields)
  redis.call("XADD", outbox, "MAXLEN", "~", "${OUTBOX_MAX}", "*", unpack(fields))
end
local function credentialFields(hash)
  local ref, maskedKey, name = unpack(redis.call("HMGET", hash, "ref", "maskedKey", "name"))
  local held = redis.call("EXISTS", hash) == 1
  return { "ref", ref or "", "exchange", held and exchangeOf(hash) or "", "site", held and siteOf(hash) or "",
    "exchangeKeyId", keyIdOf(hash) or "", "maskedKey", maskedKey or "", "name", name or "",
    "baseUrl", redis.call("HGET", hash, "baseUrl") or "" }
end
local function event(kind, userId, hash, extra)
  local time = redis.call("TIME")
  local fields = { "type", kind, "userId", userId, "at", tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)) }
  if hash then for _, value in ipairs(credentialFields(hash)) do table.insert(fields, value) end end
  for _, value in ipairs(extra or {}) do table.insert(fields, value) end
  return fields
end
`;

export interface EventOutbox {
  /** Tells the relay that the follower's outbox may hold new events: after each script that may have written one. */
  nudge(userId: number): Promise<void>;
}

/**
 * The nudge comes after the script, never before: the relay removes a follower from `pending`
 * only while the count it read is unchanged, so an event written before a nudge is always moved.
 * A crash between a script and its nudge leaves the event in the outbox, where the relay's sweep
 * finds it (see relay.ts).
 */
export function createEventOutbox(redis: RedisClient, keys: EventKeys = eventKeys()): EventOutbox {
  return {
    async nudge(userId) {
      await evalCached(redis, NUDGE, 2, keys.pending, keys.wake, String(userId));
    },
  };
}
