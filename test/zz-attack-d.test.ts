import pino from "pino";
import { describe, it } from "vitest";
import { createEventOutbox, eventKeys } from "../src/events/outbox.js";
import { startEventRelay } from "../src/events/relay.js";
import { createCredentialStore } from "../src/vault/credential-store.js";
import { createPanicStore } from "../src/vault/panic-store.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "./support/canaries.js";
import { TRADE_ONLY } from "./support/fake-bybit.js";
import { useOwnRedis } from "./support/own-redis.js";

const own = useOwnRedis();
const sealer = createSealer(parseKeyring(generateKeyringEntry()));
const facts = (id: string) => ({ id, name: "k", readOnly: false, permissions: TRADE_ONLY, ips: [], createdAt: Date.now(), expiresAt: Date.now() + 86_400_000, unifiedAccount: true, rsaPublicKey: null });
const silent = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("attack D", () => {
  it("a /panic behind a backlog of other followers' events", async () => {
    const keys = eventKeys("-d1");
    const outbox = createEventOutbox(own.redis, keys);
    const store = createCredentialStore(own.redis, sealer, outbox);
    const panics = createPanicStore(own.redis, sealer, outbox);
    const victim = 99999;
    const rec = (await store.save(victim, canaryCredentials(), facts("v"), Date.now(), 0))!;
    const relay0 = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    while ((await own.redis.xlen(keys.stream)) < 1) await sleep(10);
    await relay0.stop();
    // a wave: 3000 followers' keys go unreadable (a worker started without a keyring entry) while no relay runs, e.g. during a deploy
    const N = 10000;
    const recs = [];
    const quiet = createCredentialStore(own.redis, sealer);
    for (let i = 0; i < N; i++) recs.push((await quiet.save(10000 + i, canaryCredentials(), facts(`w${i}`), Date.now(), 0))!);
    for (let i = 0; i < N; i++) await own.redis.xtrim(`follower:{${10000 + i}}:outbox`, "MAXLEN", 0);
    for (let i = 0; i < N; i++) await store.moveStatus(10000 + i, recs[i]!.ref, "active", "unreadable");
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    await sleep(100);
    const t0 = Date.now();
    await panics.freeze(victim, rec.ref, Date.now());
    for (;;) {
      const last = await own.redis.xrevrange(keys.stream, "+", "-", "COUNT", 200);
      if (last.some(([, f]) => f.includes("frozen"))) break;
      await sleep(10);
    }
    console.log(`frozen reached the stream ${Date.now() - t0} ms after /panic's freeze; stream length ${await own.redis.xlen(keys.stream)}`);
    await relay.stop();
  }, 120_000);
});
