import pino from "pino";
import { describe, expect, it } from "vitest";
import { startExampleEngine } from "../examples/engine.js";
import { createEventOutbox, eventKeys } from "../src/events/outbox.js";
import { startEventRelay } from "../src/events/relay.js";
import { createKeyAccess } from "../src/engine/access.js";
import { createCredentialStore } from "../src/vault/credential-store.js";
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

describe("attack C", () => {
  it("a restarted example engine trades for nobody", async () => {
    const userId = 9001;
    const keys = eventKeys("-c1");
    const store = createCredentialStore(own.redis, sealer, createEventOutbox(own.redis, keys));
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    const access = createKeyAccess({ redis: own.redis, sealer, orderLinkIdPrefix: "x-", auditStream: "{audit}-c:stream", openCounts: "{audit}-c:opens" });
    const e1 = await startExampleEngine({ redis: own.redis, access, stream: keys.stream });
    await store.save(userId, canaryCredentials(), facts("c1"), Date.now(), 0);
    while (!e1.tradable.has(userId)) await sleep(20);
    console.log("engine 1:", (await e1.clientFor(userId)).ok);
    await e1.stop();
    const e2 = await startExampleEngine({ redis: own.redis, access, stream: keys.stream });
    await sleep(600);
    console.log("engine 2 after restart:", await e2.clientFor(userId), "access says:", (await access.open(userId)).ok);
    await e2.stop();
    await relay.stop();
  });

  it("a pending entry trimmed from the stream kills the engine's read loop", async () => {
    const stream = "{key-events}-c2:stream";
    await own.redis.xgroup("CREATE", stream, "example-engine", "0", "MKSTREAM");
    const id = await own.redis.xadd(stream, "*", "eventId", "1-1-0", "type", "connected", "userId", "1");
    // the engine read it and died before XACK; then it stayed away past the retention
    await own.redis.xreadgroup("GROUP", "example-engine", "engine-1", "COUNT", 10, "STREAMS", stream, ">");
    await own.redis.xtrim(stream, "MINID", "9999999999999-0");
    console.log("pending read:", JSON.stringify(await own.redis.xreadgroup("GROUP", "example-engine", "engine-1", "COUNT", 10, "STREAMS", stream, "0")));
    const rejections: unknown[] = [];
    const onRej = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", onRej);
    const access = createKeyAccess({ redis: own.redis, sealer, orderLinkIdPrefix: "x-" });
    const engine = await startExampleEngine({ redis: own.redis, access, stream });
    await sleep(300);
    await own.redis.xadd(stream, "*", "eventId", "2-1-0", "type", "connected", "userId", "2");
    await sleep(500);
    console.log("tradable after new event:", [...engine.tradable], "rejections:", rejections.map(String));
    await engine.stop().catch((e) => console.log("stop threw:", String(e)));
    process.off("unhandledRejection", onRej);
    void id;
  });
});
