import { evalCached } from "../infra/lua.js";
import { identityAt } from "../infra/key-fields.js";
import type { RedisClient } from "../infra/redis.js";
import { createKeyHolders } from "./key-holders.js";
import { EMIT_LUA, type EventOutbox } from "../events/outbox.js";
import { allFollowerKeys, followerKeys } from "../infra/redis-keys.js";

export interface FollowerStore {
  /** Deletes every key this service holds about the follower: a few commands, whatever else Redis holds. */
  forget(userId: number): Promise<void>;
}

/**
 * KEYS: the outbox, the credential, the /panic index, the reminder index, then every other key to
 * delete, the open /panic flows first, the language last (deleted, but not something stored: a
 * follower who only said hello is not told "forgotten"). ARGV: the follower, the current key's ref (or ""), how many
 * flows, how many markers, the flows' refs. Deletes only what the caller found: a key stored or frozen since (a
 * /panic runs ahead of the chat's queue) makes it answer 0, and the caller reads again. A frozen
 * key deleted here gets its "purged"; the follower's "forgotten" comes last, unless nothing was
 * stored at all. The outbox stays until the relay has moved those on, then goes.
 */
const FORGET = `${EMIT_LUA}
if (redis.call("HGET", KEYS[2], "ref") or "") ~= ARGV[2] then return 0 end
if redis.call("SCARD", KEYS[3]) ~= tonumber(ARGV[3]) or redis.call("SCARD", KEYS[4]) ~= tonumber(ARGV[4]) then return 0 end
local flows = tonumber(ARGV[3])
for i = 5, 4 + flows do
  if redis.call("SISMEMBER", KEYS[3], ARGV[i]) == 0 then return 0 end
end
for i = 5, 4 + flows do
  if redis.call("EXISTS", KEYS[i]) == 1 then emit(KEYS[1], event("purged", ARGV[1], KEYS[i], { "revokedVerified", "no" })) end
end
local stored = redis.call("EXISTS", unpack(KEYS, 2, #KEYS - 1))
local fields = event("forgotten", ARGV[1], KEYS[2])
redis.call("DEL", unpack(KEYS, 2))
if stored > 0 then emit(KEYS[1], fields) end
return 1`;

const TRIES = 5;

export function createFollowerStore(redis: RedisClient, events?: EventOutbox): FollowerStore {
  return {
    async forget(userId) {
      const keys = followerKeys(userId);
      const held = await identityAt(redis, keys.credential);
      for (let attempt = 1; ; attempt += 1) {
        const [panicRefs, reminderMarkers, credentialRef] = await Promise.all([
          redis.smembers(keys.panics),
          redis.smembers(keys.reminderMarkers),
          redis.hget(keys.credential, "ref"),
        ]);
        const all = allFollowerKeys(userId, { panicRefs, reminderMarkers, credentialRef: credentialRef ?? undefined });
        const flows = panicRefs.map(keys.panic);
        const rest = all.filter(
          (key) =>
            key !== keys.credential && key !== keys.panics && key !== keys.reminderMarkers && !flows.includes(key),
        );
        // One slot (the follower's hash tag), so one script even on Redis Cluster.
        const args = [
          keys.outbox,
          keys.credential,
          keys.panics,
          keys.reminderMarkers,
          ...flows,
          ...rest,
          keys.language,
        ];
        const done = await evalCached(
          redis,
          FORGET,
          args.length,
          ...args,
          userId,
          credentialRef ?? "",
          panicRefs.length,
          reminderMarkers.length,
          ...panicRefs,
        );
        if (done === 1) break;
        if (attempt === TRIES) throw new Error("the follower's keys kept changing while they were being forgotten");
      }
      await events?.nudge(userId);
      // The slot is gone: so is the follower's claim on the key in the index.
      if (held) await createKeyHolders(redis).release(userId, held, "own");
    },
  };
}
