import { EMIT_LUA } from "../events/outbox.js";

/** The credential store's Redis scripts: each change to a follower's key in one step, its event with it. */

/**
 * KEYS: slot, panic epoch, outbox. ARGV: the epoch the flow began with, the follower, then field, value
 * pairs. Returns when it was stored (ms, Redis' clock), or 0 when a /panic came since the epoch.
 */
export const SAVE_UNLESS_PANICKED = `${EMIT_LUA}
if (redis.call("GET", KEYS[2]) or "0") ~= ARGV[1] then return 0 end
local previous = credentialFields(KEYS[1])
redis.call("DEL", KEYS[1])
redis.call("HSET", KEYS[1], unpack(ARGV, 3))
-- Redis' own clock, shared by every process: what an incident's "stored before" is read against.
local now = redis.call("TIME")
local storedAt = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call("HSET", KEYS[1], "storedAt", tostring(storedAt))
local keyType, permissions, expiresAt = unpack(redis.call("HMGET", KEYS[1], "keyType", "permissions", "expiresAt"))
local extra = { "keyType", keyType, "permissions", permissions, "expiresAt", expiresAt }
-- How the key came, only when not the usual way (Connect with Bybit: "oauth").
local origin = redis.call("HGET", KEYS[1], "origin")
if origin then table.insert(extra, "origin"); table.insert(extra, origin) end
if previous[2] ~= "" then
  local was = { "previousRef", previous[2], "previousExchange", previous[4], "previousSite", previous[6],
    "previousExchangeKeyId", previous[8], "previousMaskedKey", previous[10] }
  for _, value in ipairs(was) do table.insert(extra, value) end
end
emit(KEYS[3], event(previous[2] ~= "" and "rotated" or "connected", ARGV[2], KEYS[1], extra))
return storedAt`;

/** The event each status change makes. */
const STATUS_EVENTS = `local STATUS_EVENTS = { active = "readable", unreadable = "unreadable", expired = "expired", frozen = "frozen", deleted = "deleted" }`;

/**
 * KEYS: the credential, the outbox. ARGV: ref, from ("" for any), to, the follower. Changes the
 * status only while the hash still holds the credential the caller means, in the state it means.
 */
export const MOVE_STATUS = `${EMIT_LUA}${STATUS_EVENTS}
if redis.call("HGET", KEYS[1], "ref") ~= ARGV[1] then return 0 end
local current = redis.call("HGET", KEYS[1], "status") or "active"
if ARGV[2] ~= "" and current ~= ARGV[2] then return 0 end
if current == ARGV[3] then return 1 end
redis.call("HSET", KEYS[1], "status", ARGV[3])
emit(KEYS[2], event(STATUS_EVENTS[ARGV[3]], ARGV[4], KEYS[1]))
return 1`;

/** KEYS: the credential, the outbox. ARGV: the follower. */
export const PURGE = `${EMIT_LUA}
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
local fields = event("disconnected", ARGV[1], KEYS[1])
redis.call("DEL", KEYS[1])
emit(KEYS[2], fields)
return 1`;

/** Changes a field only while the hash still holds the credential the caller means. */
export const SET_IF_CURRENT = `
if redis.call("HGET", KEYS[1], "ref") == ARGV[1] then
  redis.call("HSET", KEYS[1], ARGV[2], ARGV[3])
  return 1
end
return 0`;
