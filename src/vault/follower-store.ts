import type { Redis } from "ioredis";
import { allFollowerKeys, followerKeys } from "./follower-keys.js";

export interface FollowerStore {
  /** Deletes every key this service holds about the follower: a few commands, whatever else Redis holds. */
  forget(userId: number): Promise<void>;
}

export function createFollowerStore(redis: Redis): FollowerStore {
  return {
    async forget(userId) {
      const keys = followerKeys(userId);
      const [panicRefs, reminderMarkers, credentialRef] = await Promise.all([
        redis.smembers(keys.panics),
        redis.smembers(keys.reminderMarkers),
        redis.hget(keys.credential, "ref"),
      ]);
      // One slot (the follower's hash tag), so one DEL even on Redis Cluster.
      await redis.del(...allFollowerKeys(userId, { panicRefs, reminderMarkers, credentialRef: credentialRef ?? undefined }));
    },
  };
}
