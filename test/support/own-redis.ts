import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { startLocalRedis, type LocalRedis } from "../../src/infra/local-redis.js";

/**
 * A redis-server for one test file alone, for tests that read every key of their Redis (a
 * reconciliation, the event relay's sweep) and must not meet other files' keys, or that fill it up
 * (maxmemory) and must not refuse other files' writes.
 */
export function useOwnRedis(): { readonly redis: Redis; readonly url: string } {
  let server: LocalRedis;
  const own = {} as { redis: Redis; url: string };
  beforeAll(async () => {
    server = await startLocalRedis();
    own.url = server.url;
    own.redis = new Redis(server.url);
  });
  afterAll(async () => {
    own.redis.disconnect();
    await server.stop();
  });
  return own;
}
