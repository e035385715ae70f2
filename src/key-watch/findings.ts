import { evalCached } from "../infra/lua.js";
import type { RedisClient } from "../infra/redis.js";
import type { ApiKeyFacts } from "../policy/api-key.js";
import type { RefusalReason } from "../policy/key-policy.js";
import type { PermissionChanges } from "../policy/key-watch.js";
import { EMIT_LUA, type EventOutbox } from "../events/outbox.js";
import { credentialKey, type CredentialStatus } from "../stores/credential-store.js";
import { followerKeys } from "../infra/redis-keys.js";

/** What the follower is owed a message about, once the watch took their key out of use. Nothing secret. */
/** `shared`: the same Bybit key was found in another follower's slot (shared, or leaked), so every copy was frozen. */
export type WatchNotice =
  { kind: "refused"; reasons: RefusalReason[]; changes: PermissionChanges } | { kind: "deleted" } | { kind: "shared" };

/** The facts of a key the watch may store anew: all but its id, type and creation. */
export type WatchedFacts = Pick<ApiKeyFacts, "name" | "permissions" | "expiresAt">;

export interface WatchFindings {
  /** Stores what the watch read of a key that is still fine; false if it is no longer the follower's active key. */
  refresh(userId: number, ref: string, facts: WatchedFacts): Promise<boolean>;
  /**
   * Takes an active key out of use as `status`, with its latest facts and the notice owed to the
   * follower, in one step: a crash after it leaves the notice owed, never a key out of use unsaid.
   * False if it was not the follower's active key (moved by someone else first).
   */
  retire(
    userId: number,
    ref: string,
    status: Exclude<CredentialStatus, "active">,
    facts: WatchedFacts,
    notice: WatchNotice | null,
  ): Promise<boolean>;
  /** The notice still owed about the key `ref`, if it is the follower's current one. */
  owed(userId: number, ref: string): Promise<WatchNotice | null>;
  /** Claims the owed notice for one sender, for `ms`; false while another holds it. */
  claim(userId: number, ref: string, ms: number): Promise<boolean>;
  /** Lets go of a claim whose send failed, so that the retry may send. */
  unclaim(userId: number, ref: string): Promise<void>;
  /** The notice about the key `ref` went out (or never can: the follower blocked the bot). */
  given(userId: number, ref: string): Promise<void>;
}

/** KEYS: the credential. ARGV: ref, ms. A claim older than `ms` has lapsed (its sender died). */
const CLAIM = `
if redis.call("HGET", KEYS[1], "ref") ~= ARGV[1] then return 0 end
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local claimed = tonumber(redis.call("HGET", KEYS[1], "watchNoticeClaim") or "0")
if claimed > now - tonumber(ARGV[2]) then return 0 end
redis.call("HSET", KEYS[1], "watchNoticeClaim", tostring(now))
return 1`;

/**
 * KEYS: the credential, the outbox. ARGV: ref, the follower, then field, value pairs. Writes only
 * while the key is the follower's active one; a new status, or new permissions, make an event.
 */
const UPDATE_IF_ACTIVE = `${EMIT_LUA}
local STATUS_EVENTS = { expired = "expired", frozen = "frozen", deleted = "deleted" }
if redis.call("HGET", KEYS[1], "ref") ~= ARGV[1] then return 0 end
if (redis.call("HGET", KEYS[1], "status") or "active") ~= "active" then return 0 end
local permissions = redis.call("HGET", KEYS[1], "permissions")
redis.call("HSET", KEYS[1], unpack(ARGV, 3))
local status, now = unpack(redis.call("HMGET", KEYS[1], "status", "permissions"))
if status and status ~= "active" then
  emit(KEYS[2], event(STATUS_EVENTS[status], ARGV[2], KEYS[1], { "by", "watch", "permissions", now }))
elseif now ~= permissions then
  emit(KEYS[2], event("permissions-changed", ARGV[2], KEYS[1], { "permissions", now }))
end
return 1`;

/** KEYS: the credential. ARGV: ref, then the fields to delete. */
const DELETE_IF_CURRENT = `
if redis.call("HGET", KEYS[1], "ref") == ARGV[1] then redis.call("HDEL", KEYS[1], unpack(ARGV, 2)) end
return 0`;

const NOTICE = "watchNotice";
const CLAIM_FIELD = "watchNoticeClaim";

const factFields = (facts: WatchedFacts) => [
  "name",
  facts.name,
  "permissions",
  JSON.stringify(facts.permissions),
  "expiresAt",
  facts.expiresAt === null ? "" : String(facts.expiresAt),
];

/** `events`: nudges the event relay after each change (without it, the relay's sweep finds the events). */
export function createWatchFindings(redis: RedisClient, events?: EventOutbox): WatchFindings {
  const updateIfActive = async (userId: number, ref: string, pairs: string[]) => {
    const updated =
      (await evalCached(
        redis,
        UPDATE_IF_ACTIVE,
        2,
        credentialKey(userId),
        followerKeys(userId).outbox,
        ref,
        userId,
        ...pairs,
      )) === 1;
    if (updated) await events?.nudge(userId);
    return updated;
  };
  return {
    refresh: (userId, ref, facts) => updateIfActive(userId, ref, factFields(facts)),

    retire: (userId, ref, status, facts, notice) =>
      updateIfActive(userId, ref, [
        "status",
        status,
        ...factFields(facts),
        ...(notice ? [NOTICE, JSON.stringify(notice)] : []),
      ]),

    async owed(userId, ref) {
      const [currentRef, notice] = await redis.hmget(credentialKey(userId), "ref", NOTICE);
      if (currentRef !== ref || !notice) return null;
      try {
        return JSON.parse(notice) as WatchNotice;
      } catch {
        // Unreadable: the plainest notice still tells the follower that their key is out of use.
        return { kind: "refused", reasons: [], changes: { added: [], removed: [] } };
      }
    },

    claim: async (userId, ref, ms) => (await evalCached(redis, CLAIM, 1, credentialKey(userId), ref, ms)) === 1,

    async unclaim(userId, ref) {
      await evalCached(redis, DELETE_IF_CURRENT, 1, credentialKey(userId), ref, CLAIM_FIELD);
    },

    async given(userId, ref) {
      await evalCached(redis, DELETE_IF_CURRENT, 1, credentialKey(userId), ref, NOTICE, CLAIM_FIELD);
    },
  };
}
