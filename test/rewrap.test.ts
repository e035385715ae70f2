import { execFile, spawn } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startLocalRedis } from "../src/infra/local-redis.js";
import { redisClient, scanKeys, type RedisTarget } from "../src/infra/redis.js";
import { createLogger } from "../src/infra/logger.js";
import { DAY_MS } from "../src/policy/key-policy.js";
import { createCredentialStore, credentialKey, type CredentialRecord } from "../src/stores/credential-store.js";
import { createKeyPairPool, DEFAULT_POOL_KEY } from "../src/stores/key-pairs.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { announceKeyring } from "../src/vault/keyring-presence.js";
import { REWRAP_STATE } from "../src/stores/rewrap.js";
import { sealedBlobsAt } from "../src/stores/sealed-records.js";
import { FLOW_STATE_PREFIX, sealedStorage } from "../src/vault/sealed-storage.js";
import { createSealer, type Sealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "./support/canaries.js";
import { tradeOnlyFacts, GLOBAL_BYBIT } from "./support/fake-bybit.js";
import { makePairAndGetPublicKey, submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";
import { startLocalCluster } from "./support/redis-cluster.js";

// Runs in both projects: against a redis-server, and against a Redis Cluster, of its own (rewrap
// reads every record, and other test files' records are sealed with their own keyrings).
const onCluster = "clusterNodes" in inject("redisTarget");
let own: { target: RedisTarget; stop(): Promise<void> };
beforeAll(async () => {
  if (onCluster) {
    const cluster = await startLocalCluster();
    own = { target: { clusterNodes: cluster.nodes }, stop: () => cluster.stop() };
  } else {
    const server = await startLocalRedis();
    own = { target: { url: server.url }, stop: () => server.stop() };
  }
});
afterAll(() => own.stop());
const redisEnv = () =>
  "url" in own.target ? { REDIS_URL: own.target.url } : { REDIS_CLUSTER_NODES: own.target.clusterNodes.join(",") };
const oldEntry = generateKeyringEntry();
const newEntry = generateKeyringEntry();
const oldSealer = createSealer(parseKeyring(oldEntry));
const idOf = (entry: string) => entry.slice(0, entry.indexOf(":"));

let h: Harness;
afterEach(async () => {
  await h.redis.del(REWRAP_STATE);
  await h.stop();
});

/** `count` followers' keys, stored as a service still on the old entry stored them. */
async function storedWithOldEntry(count: number): Promise<CredentialRecord[]> {
  const store = createCredentialStore(h.redis, oldSealer);
  const createdAt = Date.now() - 10 * DAY_MS;
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const facts = tradeOnlyFacts({ id: `rewrap-${randomUUID()}`, name: `key ${i}`, createdAt });
      return store
        .save(randomInt(1_000_000, 2 ** 40), canaryCredentials(), GLOBAL_BYBIT, facts, Date.now(), 0)
        .then((record) => record!);
    }),
  );
}

const entryOf = async (sealer: Sealer, record: CredentialRecord) =>
  sealer.keyIdOf((await h.redis.hgetBuffer(credentialKey(record.userId), "sealed"))!);

const rewrapArgs = (batch: number) => ["--import", "tsx", "src/ops/cli.ts", "rewrap", "--batch", String(batch)];
const env = () => ({ PATH: process.env.PATH ?? "", SEAL_KEYS: `${newEntry},${oldEntry}`, ...redisEnv() });
const rewrap = (batch = 20) =>
  promisify(execFile)(process.execPath, rewrapArgs(batch), { env: env() }).then(
    ({ stdout }) => stdout,
    (error: { code: number; stdout: string }) => `exit ${error.code}\n${error.stdout}`,
  );

describe("npm run ops -- rewrap", () => {
  it("moves every sealed record to the newest entry while the bot keeps serving, and says the old entry can go", async () => {
    h = await startHarness({
      sealKeys: `${newEntry},${oldEntry}`,
      telegramLimits: ROOMY_CHATS,
      redisTarget: own.target,
    });
    const records = await storedWithOldEntry(200);
    // A follower whose stored key is one of them, and a flow under way, sealed as before.
    const alice = h.follower();
    const creds = canaryCredentials();
    const aliceRecord = (await createCredentialStore(h.redis, oldSealer).save(
      alice.user.id,
      creds,
      GLOBAL_BYBIT,
      tradeOnlyFacts({ id: "alice-id", name: "alice-key" }),
      Date.now(),
      0,
    ))!;
    const flowKey = `${FLOW_STATE_PREFIX}${randomInt(1e12)}`;
    const flows = (sealer: Sealer) =>
      sealedStorage<{ step: string }>(
        {
          read: async (key) =>
            (await h.redis.get(key)) === null ? undefined : (JSON.parse((await h.redis.get(key))!) as string),
          write: async (key, value) => void (await h.redis.set(key, JSON.stringify(value), "EX", 600)),
          delete: async (key) => void (await h.redis.del(key)),
        },
        sealer,
        "conversation",
        () => undefined,
      );
    await flows(oldSealer).write(flowKey, { step: "awaiting-secret" });
    const pool = createKeyPairPool({
      redis: h.redis,
      sealer: oldSealer,
      size: 2,
      logger: createLogger({ level: "silent", neverLog: [] }),
      key: DEFAULT_POOL_KEY,
    });
    pool.startRefilling();
    while ((await pool.available()) < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await pool.stop();

    // A bot process not restarted with the new entry first: rewrap refuses, and changes nothing.
    const stale = announceKeyring(h.redis, parseKeyring(`${oldEntry},${newEntry}`), "bot@host-a:41");
    const refused = await rewrap();
    expect(refused).toContain(
      `exit 1\nNot re-sealing: a running process is not ready for it.\nbot@host-a:41 still seals with "${idOf(oldEntry)}": put "${idOf(newEntry)}" first in its SEAL_KEYS and restart it.`,
    );
    expect(await entryOf(h.sealer, aliceRecord)).toBe(idOf(oldEntry));
    await stale.stop();
    const ready = announceKeyring(h.redis, parseKeyring(`${newEntry},${oldEntry}`), "bot@host-a:42");

    const run = rewrap();
    // The bot answers throughout.
    const answered: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      alice.say("/status");
      answered.push(await alice.reply());
    }
    const report = await run;
    await ready.stop();

    expect(answered.every((text) => text.includes(aliceRecord.maskedKey))).toBe(true);
    expect(report).toMatch(/re-sealed with "[^"]+": [\d,]+ records in [\d.]+ s \([\d,]+ records\/s\)/);
    expect(report).toContain(
      `No record is sealed with an older entry: remove "${idOf(oldEntry)}" from SEAL_KEYS and restart every process.`,
    );
    for (const record of [...records, aliceRecord]) expect(await entryOf(h.sealer, record)).toBe(idOf(newEntry));
    // Still what it was: the service, with the new entry first, opens each.
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(creds);
    const onlyNew = createSealer(parseKeyring(newEntry));
    expect(await flows(onlyNew).read(flowKey)).toEqual({ step: "awaiting-secret" });
    expect(await h.redis.ttl(flowKey)).toBeGreaterThan(0);
    const poolAfter = createKeyPairPool({
      redis: h.redis,
      sealer: onlyNew,
      size: 0,
      logger: createLogger({ level: "silent", neverLog: [] }),
      key: DEFAULT_POOL_KEY,
    });
    expect((await poolAfter.take()).privateKeyDer.length).toBeGreaterThan(0);
    for (const key of [flowKey, DEFAULT_POOL_KEY]) await h.redis.del(key);

    const audited = (await h.redis.xrange("{audit}:stream", "-", "+")).map(([, fields]) => fields.join(" "));
    expect(
      audited.some(
        (entry) =>
          entry.startsWith("type rewrap-finished") &&
          entry.includes(`entry ${idOf(newEntry)}`) &&
          entry.includes("sealedWithOld 0"),
      ),
    ).toBe(true);
  }, 60_000);

  it("goes on where a killed run stopped, and leaves nothing with the old entry", async () => {
    h = await startHarness({ worker: false, redisTarget: own.target });
    const records = await storedWithOldEntry(3000);
    const first = spawn(process.execPath, rewrapArgs(25), { env: env(), stdio: "ignore" });
    const exited = new Promise((resolve) => first.once("exit", resolve));
    while (Number((await h.redis.hget(REWRAP_STATE, "resealed")) ?? 0) === 0)
      await new Promise((resolve) => setTimeout(resolve, 5));
    first.kill("SIGKILL");
    await exited;
    const newest = createSealer(parseKeyring(`${newEntry},${oldEntry}`));
    const leftOld = (await Promise.all(records.map((record) => entryOf(newest, record)))).filter(
      (entry) => entry === idOf(oldEntry),
    ).length;
    // Killed in the middle: some done, some not (a run that ended first would prove nothing).
    expect(leftOld).toBeGreaterThan(0);
    expect(leftOld).toBeLessThan(records.length);

    const report = await rewrap(500);
    expect(report).toMatch(
      /^\(no running process announced its keyring: stopped, or older than this version\)\nwent on from a run begun \d{4}-\d\d-\d\d \d\d:\d\d UTC \([\d,]+ keys looked at then\)/,
    );
    for (const record of records) expect(await entryOf(newest, record)).toBe(idOf(newEntry));
    expect(await h.redis.exists(REWRAP_STATE)).toBe(0);

    // A record sealed with an entry this SEAL_KEYS lacks: nothing may be retired, and it says so.
    await createCredentialStore(h.redis, createSealer(parseKeyring(generateKeyringEntry()))).save(
      randomInt(1_000_000, 2 ** 40),
      canaryCredentials(),
      GLOBAL_BYBIT,
      tradeOnlyFacts({ id: "foreign", name: "foreign", expiresAt: null }),
      Date.now(),
      0,
    );
    const wary = await rewrap(500);
    expect(wary).toMatch(/^exit 1\n/);
    expect(wary).toContain("1 records are sealed with entries this SEAL_KEYS lacks");
    expect(wary).not.toContain("No record is sealed with an older entry");
  }, 60_000);

  it("covers every sealed blob in Redis, whatever kind: none is left with the old entry, and the report ends cleanly", async () => {
    // This file's own Redis, emptied of what the tests before left (a record sealed with a foreign entry among them).
    const mine = redisClient(own.target);
    for await (const { keys } of scanKeys(mine, "*")) for (const key of keys) await mine.del(key);
    mine.disconnect();
    // The service seals with the old entry only; one of every sealed record is made the way the service makes it.
    h = await startHarness({ sealKeys: oldEntry, telegramLimits: ROOMY_CHATS, redisTarget: own.target });
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "frozen-one", account: { positions: [], orders: [], fills: [] } });
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    const frozen = (await h.credentials.current(alice.user.id))!;
    alice.say("/panic");
    await alice.reply();
    // The frozen key and the snapshot of the account, both sealed in the flow.
    while ((await h.redis.hget(`follower:{${alice.user.id}}:panic:${frozen.ref}`, "snapshotState")) !== "ready")
      await new Promise((resolve) => setTimeout(resolve, 20));
    // A key in a follower's slot.
    const carol = h.follower();
    const second = canaryCredentials();
    h.bybit.addKey({ ...second, note: "second" });
    expect(await submitKey(carol, second)).toContain("✅ Connected");
    // A flow under way (conversation state) and a pending key pair.
    const bob = h.follower();
    await makePairAndGetPublicKey(h, bob);
    const pool = createKeyPairPool({
      redis: h.redis,
      sealer: h.sealer,
      size: 1,
      logger: createLogger({ level: "silent", neverLog: [] }),
      key: DEFAULT_POOL_KEY,
    });
    pool.startRefilling();
    while ((await pool.available()) < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await pool.stop();

    const before = await sealedEverywhere(idOf(oldEntry));
    // Each kind was made (else the test would prove nothing about it).
    for (const kind of [
      /:credential$/,
      /:panic:/,
      /:pending-key-pair$/,
      /^\{key-pairs\}:pool$/,
      new RegExp(`^${FLOW_STATE_PREFIX}`),
    ]) {
      expect(
        [...before.keys()].some((key) => kind.test(key)),
        String(kind),
      ).toBe(true);
    }
    expect(before.get(`follower:{${alice.user.id}}:panic:${frozen.ref}`)).toBe(2);
    // What rewrap reads at each key is every sealed blob there.
    for (const [key, count] of before) expect([key, (await sealedBlobsAt(h.redis, key)).length]).toEqual([key, count]);

    const report = await rewrap(50);
    expect(report).toContain(
      `No record is sealed with an older entry: remove "${idOf(oldEntry)}" from SEAL_KEYS and restart every process.`,
    );
    expect(report).toContain(`sealed records by keyring entry now: ${idOf(newEntry)} (newest) `);
    expect(report).toMatch(new RegExp(`${idOf(oldEntry)} 0\n`));
    expect(report).not.toMatch(/, \n|, $/);
    expect([...(await sealedEverywhere(idOf(oldEntry))).keys()]).toEqual([]);
    // "I deleted it" can still check: the frozen key opens with the new entry alone.
    const onlyNew = createSealer(parseKeyring(newEntry));
    const flow = await h.redis.hgetallBuffer(`follower:{${alice.user.id}}:panic:${frozen.ref}`);
    expect(
      JSON.parse(
        onlyNew
          .open(
            flow.sealed!,
            `user=${alice.user.id}|exchange=bybit|bybitKey=${frozen.exchangeKeyId}|purpose=api-credential`,
          )
          .toString(),
      ),
    ).toEqual(creds);
    await h.redis.del(DEFAULT_POOL_KEY);
  }, 60_000);
});

/**
 * Every sealed blob in all of Redis sealed with keyring entry `id`, counted per Redis key: found by
 * the envelope's header (version 1, the id's length, the id), raw or base64 anywhere in any value,
 * without knowing what kind of record holds it.
 */
async function sealedEverywhere(id: string): Promise<Map<string, number>> {
  const header = Buffer.concat([Buffer.from([1, id.length]), Buffer.from(id)]);
  const encoded = header.subarray(0, header.length - (header.length % 3)).toString("base64");
  const occurrences = (value: Buffer) => {
    let count = 0;
    for (let at = value.indexOf(header); at >= 0; at = value.indexOf(header, at + 1)) count += 1;
    const text = value.toString("latin1");
    for (let at = text.indexOf(encoded); at >= 0; at = text.indexOf(encoded, at + 1)) count += 1;
    return count;
  };
  const found = new Map<string, number>();
  for await (const { keys } of scanKeys(h.redis, "*")) {
    for (const key of keys) {
      const type = await h.redis.type(key);
      const values: Buffer[] =
        type === "string"
          ? [(await h.redis.getBuffer(key))!]
          : type === "hash"
            ? Object.values(await h.redis.hgetallBuffer(key))
            : type === "list"
              ? await h.redis.lrangeBuffer(key, 0, -1)
              : type === "set"
                ? await h.redis.smembersBuffer(key)
                : type === "zset"
                  ? await h.redis.zrangeBuffer(key, "0", "-1")
                  : type === "stream"
                    ? (await h.redis.xrangeBuffer(key, "-", "+")).flatMap(([, fields]) => fields)
                    : [];
      const count = values.reduce((sum, value) => sum + occurrences(value), 0);
      if (count > 0) found.set(key, count);
    }
  }
  return found;
}
