import pino from "pino";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
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
const obj = (fields: string[]) => Object.fromEntries(fields.flatMap((v, i) => (i % 2 ? [] : [[v, fields[i + 1]]])));

/** The first pipeline's exec stalls `ms` (a GC pause, a VM freeze, a slow link). */
function stallFirstPipeline(redis: Redis, ms: number, onStall: () => void): Redis {
  let stalled = false;
  return new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop === "pipeline") return () => {
        const p = target.pipeline();
        if (stalled) return p;
        stalled = true;
        const exec = p.exec.bind(p);
        (p as { exec: unknown }).exec = async () => { onStall(); await sleep(ms); return exec(); };
        return p;
      };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("attack B", () => {
  it("a relay that stalls past its lease delivers an old event after a newer one", async () => {
    const userId = 8001;
    const keys = eventKeys("-b1");
    const outbox = createEventOutbox(own.redis, keys);
    const store = createCredentialStore(own.redis, sealer, outbox);
    const panics = createPanicStore(own.redis, sealer, outbox);
    let stalledAt = 0;
    const a = startEventRelay({ redis: stallFirstPipeline(own.redis, 7000, () => (stalledAt = Date.now())), keys, logger: silent, sweepEveryMs: 0 });
    const rec = (await store.save(userId, canaryCredentials(), facts("b1"), Date.now(), 0))!;
    while (!stalledAt) await sleep(10);
    const b = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    while ((await own.redis.xlen(keys.stream)) < 1) await sleep(20);
    console.log("B delivered first copy after", Date.now() - stalledAt, "ms");
    await panics.freeze(userId, rec.ref, Date.now());
    while ((await own.redis.xlen(keys.stream)) < 3) await sleep(50);
    await Promise.all([a.stop(), b.stop()]);
    console.log((await own.redis.xrange(keys.stream, "-", "+")).map(([id, f]) => `${id} ${obj(f).type} ${obj(f).eventId}`));
  }, 30_000);
});
