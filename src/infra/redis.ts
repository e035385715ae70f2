import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * Three kinds of connection, because BullMQ needs them different: workers block and must retry
 * for ever (`maxRetriesPerRequest: null`); the queue side, used while a follower waits for an
 * answer, must fail fast when Redis is down; the rest is ordinary.
 */
export function connectRedis(url: string) {
  return {
    main: new Redis(url),
    queue: new Redis(url, { maxRetriesPerRequest: 1 }),
    worker: () => new Redis(url, { maxRetriesPerRequest: null }),
  };
}

/** Evicted keys are lost reminders and lost credentials: say so loudly unless Redis never evicts. */
export async function warnUnlessNoEviction(redis: Redis, logger: Logger): Promise<void> {
  try {
    const [, policy] = (await redis.config("GET", "maxmemory-policy")) as [string, string];
    if (policy !== "noeviction") {
      logger.warn({ policy }, "Redis maxmemory-policy is not noeviction: under memory pressure Redis may drop stored keys and reminders. Set maxmemory-policy noeviction.");
    }
  } catch (error) {
    logger.warn({ err: error }, "could not read Redis maxmemory-policy (CONFIG may be disabled); make sure it is noeviction");
  }
}
