import type { Redis } from "ioredis";

export interface FollowerStore {
  /** Deletes every key this service holds about the follower. */
  forget(userId: number): Promise<void>;
}

export function createFollowerStore(redis: Redis): FollowerStore {
  return {
    async forget(userId) {
      // Every key about a follower carries their hash tag, so one pattern finds them all.
      for await (const keys of redis.scanStream({ match: `follower:{${userId}}:*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
    },
  };
}
