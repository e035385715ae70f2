import type { TestProject } from "vitest/node";
import { startLocalRedis } from "../../src/infra/local-redis.js";
import type { RedisTarget } from "../../src/infra/redis.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's one server (tests that need a plain server's commands: MONITOR, a connection of their own). */
    redisUrl: string;
    /** What the harness connects to: that server, or a Redis Cluster in the "cluster" project. */
    redisTarget: RedisTarget;
  }
}

/** One throwaway redis-server for the whole run, unless REDIS_URL points at one already. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL) {
    project.provide("redisUrl", process.env.REDIS_URL);
    project.provide("redisTarget", { url: process.env.REDIS_URL });
    return async () => undefined;
  }
  const redis = await startLocalRedis();
  project.provide("redisUrl", redis.url);
  project.provide("redisTarget", { url: redis.url });
  return () => redis.stop();
}
