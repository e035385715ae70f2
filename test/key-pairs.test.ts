import { createPrivateKey, createPublicKey, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogger } from "../src/infra/logger.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createKeyPairPool } from "../src/stores/key-pairs.js";
import { createSealer } from "../src/vault/sealer.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(() => redis.disconnect());

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const publicOf = (der: Buffer) =>
  createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({ type: "spki", format: "pem" });

describe("the key pair pool", () => {
  it("fills to its size, hands out each pair once, and refills", async () => {
    const logs: string[] = [];
    const key = `{key-pairs-${randomUUID()}}:pool`;
    const pool = createKeyPairPool({
      redis,
      sealer: createSealer(parseKeyring(generateKeyringEntry())),
      size: 3,
      key,
      logger: createLogger({ level: "info", neverLog: [], destination: { write: (line: string) => logs.push(line) } }),
    });
    pool.startRefilling();
    try {
      await until(async () => (await pool.available()) === 3, "the pool holds 3 pairs");
      const taken = await Promise.all([pool.take(), pool.take()]);
      expect(await pool.available()).toBeLessThanOrEqual(2);
      expect(new Set(taken.map((pair) => pair.publicKeyPem)).size).toBe(2);
      for (const pair of taken) expect(publicOf(pair.privateKeyDer)).toBe(pair.publicKeyPem);
      await until(async () => (await pool.available()) === 3, "the pool refills");
    } finally {
      await pool.stop();
      await redis.del(key);
    }
  });

  it("never hands out a pair no keyring entry opens any more: it is dropped with a log line and a fresh pair is made", async () => {
    const key = `{key-pairs-${randomUUID()}}:pool`;
    const logs: string[] = [];
    const logger = createLogger({
      level: "info",
      neverLog: [],
      destination: { write: (line: string) => logs.push(line) },
    });
    const retired = createKeyPairPool({
      redis,
      sealer: createSealer(parseKeyring(generateKeyringEntry())),
      size: 1,
      key,
      logger,
    });
    retired.startRefilling();
    await until(async () => (await retired.available()) === 1, "the old pool holds a pair");
    await retired.stop();

    const current = createKeyPairPool({
      redis,
      sealer: createSealer(parseKeyring(generateKeyringEntry())),
      size: 0,
      key,
      logger,
    });
    const pair = await current.take();
    expect(publicOf(pair.privateKeyDer)).toBe(pair.publicKeyPem);
    expect(await current.available()).toBe(0);
    expect(logs.join("\n")).toContain("discarded a pooled key pair that no keyring entry opens");
    await redis.del(key);
  });
});
