import type { Redis } from "ioredis";
import { EMIT_LUA, type EventOutbox } from "../events/outbox.js";
import { allFollowerKeys, followerKeys } from "./follower-keys.js";

export interface FollowerStore {
  /** Deletes every key this service holds about the follower: a few commands, whatever else Redis holds. */
  forget(userId: number): Promise<void>;
}

/**
 * KEYS: the outbox, then every key to delete, the credential first. ARGV: the follower. The outbox
 * stays: events not yet relayed still go out, "forgotten" last; the relay deletes it once empty.
 */
const FORGET = `${EMIT_LUA}
local fields = event("forgotten", ARGV[1], KEYS[2])
redis.call("DEL", unpack(KEYS, 2))
emit(KEYS[1], fields)
return 1`;

export function createFollowerStore(redis: Redis, events?: EventOutbox): FollowerStore {
  return {
    async forget(userId) {
      const keys = followerKeys(userId);
      const [panicRefs, reminderMarkers, credentialRef] = await Promise.all([
        redis.smembers(keys.panics),
        redis.smembers(keys.reminderMarkers),
        redis.hget(keys.credential, "ref"),
      ]);
      // One slot (the follower's hash tag), so one script even on Redis Cluster.
      const doomed = allFollowerKeys(userId, { panicRefs, reminderMarkers, credentialRef: credentialRef ?? undefined });
      await redis.eval(FORGET, doomed.length + 1, keys.outbox, ...doomed, userId);
      await events?.nudge(userId);
    },
  };
}
