import pino from "pino";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createEventOutbox, eventKeys } from "../src/events/outbox.js";
import { startEventRelay } from "../src/events/relay.js";
import { evalCached } from "../src/infra/lua.js";
import { startLocalRedis, type LocalRedis } from "../src/infra/local-redis.js";
import { createCredentialStore } from "../src/stores/credential-store.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "./support/canaries.js";
import { tradeOnlyFacts, GLOBAL_BYBIT } from "./support/fake-bybit.js";

const sealer = createSealer(parseKeyring(generateKeyringEntry()));
const facts = (id: string) => tradeOnlyFacts({ id, name: "k", expiresAt: Date.now() + 86_400_000 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const servers: LocalRedis[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const server of servers) await server.stop().catch(() => undefined);
});

async function lengthWithin(redis: Redis, key: string, count: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while ((await redis.xlen(key)) < count && Date.now() < deadline) await sleep(20);
  return Date.now();
}

describe("attack27: the woken relay", () => {
  it("moves a nudged event within a second with two relays, even where everyMs outlasts the lease", async () => {
    const server = await startLocalRedis();
    servers.push(server);
    const redis = new Redis(server.url);
    clients.push(redis);
    const keys = eventKeys("-two-long");
    const store = createCredentialStore(redis, sealer, createEventOutbox(redis, keys));
    const silent = pino({ level: "silent" });
    const relays = [1, 2].map(() => startEventRelay({ redis, keys, logger: silent, sweepEveryMs: 0, everyMs: 5000 }));
    // Long enough for the first leader's lease (2 s) to lapse while it waits.
    await sleep(3500);
    const late: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const savedAt = Date.now();
      await store.save(8100 + i, canaryCredentials(), GLOBAL_BYBIT, facts(`two-long-${i}`), Date.now(), 0);
      late.push((await lengthWithin(redis, keys.stream, i + 1, 8000)) - savedAt);
      await sleep(300);
    }
    await Promise.all(relays.map((relay) => relay.stop()));
    expect(
      late.every((ms) => ms < 1200),
      `delays ${late.join(", ")} ms`,
    ).toBe(true);
  }, 30_000);

  it("recovers from a Redis restart while waiting on the wake list, without a log flood", async () => {
    const server = await startLocalRedis();
    servers.push(server);
    const port = Number(new URL(server.url).port);
    const redis = new Redis(server.url);
    clients.push(redis);
    const keys = eventKeys("-restart");
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const relay = startEventRelay({ redis, keys, logger, sweepEveryMs: 0 });
    await sleep(300);
    await server.stop();
    await sleep(1500);
    const again = await startLocalRedis({ port });
    servers.push(again);
    await sleep(1500);
    const store = createCredentialStore(redis, sealer, createEventOutbox(redis, keys));
    const savedAt = Date.now();
    await store.save(8200, canaryCredentials(), GLOBAL_BYBIT, facts("restart-1"), Date.now(), 0);
    const movedAt = await lengthWithin(redis, keys.stream, 1, 5000);
    expect(await redis.xlen(keys.stream)).toBe(1);
    expect(movedAt - savedAt).toBeLessThan(1200);
    const stopping = Date.now();
    await relay.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    expect(lines.length).toBeLessThan(4);
  }, 30_000);

  it("runs a script again after SCRIPT FLUSH and on a second client with the same source", async () => {
    const server = await startLocalRedis();
    servers.push(server);
    const [a, b] = [new Redis(server.url), new Redis(server.url)];
    clients.push(a, b);
    const source = `return redis.call("INCR", KEYS[1])`;
    expect(await evalCached(a, source, 1, "n")).toBe(1);
    expect(await evalCached(b, source, 1, "n")).toBe(2);
    await a.script("FLUSH");
    const all = await Promise.all([
      evalCached(a, source, 1, "n"),
      evalCached(b, source, 1, "n"),
      evalCached(a, source, 1, "n"),
    ]);
    expect([...all].sort()).toEqual([3, 4, 5]);
    await a.script("FLUSH");
    const pipeline = a.pipeline();
    expect(await evalCached(a, source, 1, "n")).toBe(6);
    await pipeline.exec();
  });
});
