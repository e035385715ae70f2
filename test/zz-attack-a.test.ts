import pino from "pino";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createEventOutbox, eventKeys } from "../src/events/outbox.js";
import { startEventRelay } from "../src/events/relay.js";
import { createCredentialStore } from "../src/vault/credential-store.js";
import { createPanicStore } from "../src/vault/panic-store.js";
import { createFollowerStore } from "../src/vault/follower-store.js";
import { createKeyAccess } from "../src/engine/access.js";
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

/** A redis whose eval runs `hook` first when the script matches. */
function hooked(redis: Redis, match: string, hook: () => Promise<void>): Redis {
  return new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop === "eval") return async (script: string, ...rest: unknown[]) => {
        if (script.includes(match)) await hook();
        return (target.eval as (...a: unknown[]) => unknown)(script, ...rest);
      };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("attack A", () => {
  it("forget racing /panic leaves the frozen sealed key behind", async () => {
    const userId = 7001;
    const keys = eventKeys("-a1");
    const outbox = createEventOutbox(own.redis, keys);
    const store = createCredentialStore(own.redis, sealer, outbox);
    const panics = createPanicStore(own.redis, sealer, outbox);
    const creds = canaryCredentials();
    const rec = (await store.save(userId, creds, facts("a1"), Date.now(), 0))!;
    const followers = createFollowerStore(hooked(own.redis, "forgotten", async () => { await panics.freeze(userId, rec.ref, Date.now()); }), outbox);
    await followers.forget(userId);
    const left = await own.redis.keys(`follower:{${userId}}:*`);
    console.log("left after forget:", left);
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    await sleep(500);
    await relay.stop();
    console.log("left after relay:", await own.redis.keys(`follower:{${userId}}:*`), "ttl", await own.redis.ttl(`follower:{${userId}}:panic:${rec.ref}`));
    console.log("events:", (await own.redis.xrange(keys.stream, "-", "+")).map(([, f]) => `${obj(f).type} ref=${obj(f).ref} masked=${obj(f).maskedKey}`));
    const reopened = await panics.reveal(userId, rec.ref);
    console.log("frozen key still opens after /forget:", reopened?.apiKey === creds.apiKey);
  });

  it("audit stream keeps userId and masked key after /forget", async () => {
    const userId = 7002;
    const keys = eventKeys("-a2");
    const outbox = createEventOutbox(own.redis, keys);
    const store = createCredentialStore(own.redis, sealer, outbox);
    const rec = (await store.save(userId, canaryCredentials(), facts("a2"), Date.now(), 0))!;
    await store.setStatus(userId, rec.ref, "expired");
    const access = createKeyAccess({ redis: own.redis, sealer, orderLinkIdPrefix: "x-", auditStream: "{audit}-a2:stream", openCounts: "{audit}-a2:opens" });
    await access.open(userId);
    await createFollowerStore(own.redis, outbox).forget(userId);
    await access.open(userId);
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    await sleep(300);
    await relay.stop();
    console.log("follower keys:", await own.redis.keys(`*${userId}*`));
    console.log("audit:", (await own.redis.xrange("{audit}-a2:stream", "-", "+")).map(([, f]) => f.join(" ")));
  });

  it("panic flow expiring after its day deletes the sealed key without any event", async () => {
    const userId = 7003;
    const keys = eventKeys("-a3");
    const outbox = createEventOutbox(own.redis, keys);
    const store = createCredentialStore(own.redis, sealer, outbox);
    const panics = createPanicStore(own.redis, sealer, outbox);
    const rec = (await store.save(userId, canaryCredentials(), facts("a3"), Date.now(), 0))!;
    await panics.freeze(userId, rec.ref, Date.now());
    await own.redis.pexpire(`follower:{${userId}}:panic:${rec.ref}`, 1); // the day passes
    await sleep(20);
    await own.redis.zincrby(keys.pending, 1, String(userId));
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    await sleep(300);
    await relay.stop();
    console.log("flows:", await panics.open(userId));
    console.log("events:", (await own.redis.xrange(keys.stream, "-", "+")).map(([, f]) => obj(f).type));
  });

  it("forget by someone who never stored anything still writes a 'forgotten' event", async () => {
    const keys = eventKeys("-a4");
    await createFollowerStore(own.redis, createEventOutbox(own.redis, keys)).forget(7004);
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    await sleep(300);
    await relay.stop();
    console.log("events:", (await own.redis.xrange(keys.stream, "-", "+")).map(([, f]) => f.join(" ")));
  });
});
