import type { TestProject } from "vitest/node";
import { startLocalRedis } from "../../src/infra/local-redis.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** One throwaway redis-server for the whole run, unless REDIS_URL points at one already. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL) {
    project.provide("redisUrl", process.env.REDIS_URL);
    return async () => undefined;
  }
  const redis = await startLocalRedis();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
