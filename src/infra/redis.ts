import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * Three kinds of connection, because BullMQ needs them different: workers block and must retry
 * for ever (`maxRetriesPerRequest: null`); the queue side, used while a follower waits for an
 * answer, must fail fast when Redis is down; the rest is ordinary.
 */
export function connectRedis(url: string, logger: Logger) {
  return {
    main: reportingState(new Redis(url), "main", logger),
    queue: reportingState(new Redis(url, { maxRetriesPerRequest: 1 }), "queue", logger),
    worker: () => reportingState(new Redis(url, { maxRetriesPerRequest: null }), "worker", logger),
  };
}

/**
 * One structured line per change of state (lost, back), never a stack per retry: without an
 * error listener ioredis prints "Unhandled error event" with a stack on every reconnect attempt.
 */
export function reportingState(client: Redis, name: string, logger: Logger): Redis {
  let down = false;
  client.on("error", (error: Error & { code?: string }) => {
    if (down) return;
    down = true;
    logger.error({ redis: name, error: error.code ?? error.name }, "Redis connection lost; reconnecting");
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info({ redis: name }, "Redis connection back");
  });
  return client;
}

/**
 * For BullMQ's queues and workers, which pass on every failed command of an outage as an
 * "error" event: one line per 30 s at most, with how many were left out.
 */
export function reportingErrors<T extends { on(event: "error", listener: (error: Error) => void): unknown }>(emitter: T, name: string, logger: Logger): T {
  let lastLogged = 0;
  let leftOut = 0;
  emitter.on("error", (error) => {
    const now = Date.now();
    if (now - lastLogged < 30_000) {
      leftOut += 1;
      return;
    }
    logger.error({ component: name, error: (error as Error & { code?: string }).code ?? error.name, leftOut }, "Redis-backed component failing");
    lastLogged = now;
    leftOut = 0;
  });
  return emitter;
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
