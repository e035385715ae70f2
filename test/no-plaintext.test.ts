import { createPrivateKey } from "node:crypto";
import { FLOW_STATE_TTL_SECONDS } from "../src/policy/flows.js";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createLogger } from "../src/infra/logger.js";
import { SealError } from "../src/vault/sealer.js";
import { canaryCredentials } from "./support/canaries.js";
import { makePairAndGetPublicKey } from "./support/flows.js";
import { BOT_TOKEN, startHarness, type Follower, type Harness } from "./support/harness.js";
import { RedisMonitor } from "./support/redis-monitor.js";

let h: Harness;
let monitor: RedisMonitor;

beforeEach(async () => {
  monitor = await RedisMonitor.start(inject("redisUrl"));
  h = await startHarness({ keyPairPoolSize: 2 });
});
afterEach(async () => {
  monitor.stop();
  await h.stop();
});

async function everyValueInRedis({ redis, keysMatching }: Harness): Promise<string> {
  const dump: string[] = [];
  for (const key of await keysMatching("*")) {
    const type = await redis.type(key);
    dump.push(key);
    if (type === "string") dump.push((await redis.getBuffer(key))!.toString("latin1"));
    if (type === "hash")
      dump.push(...Object.values(await redis.hgetallBuffer(key)).map((value) => value.toString("latin1")));
  }
  return dump.join("\n");
}

async function waitForPool(harness: Harness, size: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await harness.keyPairPool.available()) < size) {
    if (Date.now() > deadline) throw new Error("the key pair pool never filled");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Takes the pairs waiting in the pool, as the next followers would get them. */
async function pooledPrivateKeys(harness: Harness): Promise<string[]> {
  const pems: string[] = [];
  for (let index = 0; index < 2; index += 1) {
    const { privateKeyDer } = await harness.keyPairPool.take();
    pems.push(
      createPrivateKey({ key: privateKeyDer, format: "der", type: "pkcs8" })
        .export({ type: "pkcs8", format: "pem" })
        .toString(),
    );
  }
  return pems;
}

async function connect(follower: Follower, message: string): Promise<void> {
  follower.say("/connect");
  await follower.reply();
  follower.say(message);
}

describe("no plaintext at rest", () => {
  it("never sends a key or secret to Redis or the logs: accepted, refused, and cancelled flows", async () => {
    const accepted = canaryCredentials();
    const refused = canaryCredentials();
    const cancelled = canaryCredentials();
    const canaries = [accepted, refused, cancelled].flatMap(({ apiKey, apiSecret }) => [apiKey, apiSecret]);
    h.bybit.addKey(accepted);
    h.bybit.addKey({ ...refused, permissions: { ContractTrade: ["Order", "Position"], Wallet: ["Withdraw"] } });

    const alice = h.follower();
    await connect(alice, accepted.apiKey);
    await alice.reply();
    alice.say(accepted.apiSecret);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected");

    const bob = h.follower();
    await connect(bob, `${refused.apiKey} ${refused.apiSecret}`);
    await bob.reply();
    expect(await bob.reply()).toContain("❌ I can’t use the key");

    const carol = h.follower();
    await connect(carol, cancelled.apiKey);
    await carol.reply();
    carol.say("/cancel");
    expect(await carol.reply()).toContain("Cancelled");
    carol.say(cancelled.apiSecret);
    expect(await carol.reply()).toContain("I deleted your message");

    await monitor.caughtUp(h.redis);
    const commands = monitor.commands();
    // The test would prove nothing if the conversation had not gone through Redis at all.
    const conversationWrites = commands.filter((command) => command.includes('"set" "conversation:'));
    expect(conversationWrites.length).toBeGreaterThan(3);
    expect(commands.some((command) => command.includes(':credential" "follower:{'))).toBe(true);
    // Conversation state expires within the hour even if a flow is abandoned (twice the longest step, so a late answer hears why).
    expect(conversationWrites.every((command) => command.endsWith(`"EX" "${FLOW_STATE_TTL_SECONDS}"`))).toBe(true);
    expect(FLOW_STATE_TTL_SECONDS).toBeLessThanOrEqual(3600);

    const redisTraffic = commands.join("\n");
    const atRest = await everyValueInRedis(h);
    const logs = h.logs.join("\n");
    for (const canary of canaries) {
      expect(redisTraffic).not.toContain(canary);
      expect(atRest).not.toContain(canary);
      expect(logs).not.toContain(canary);
    }
    for (const follower of [alice, bob, carol]) {
      for (const text of follower.transcript()) for (const canary of canaries) expect(text).not.toContain(canary);
    }
    expect(logs).not.toContain(BOT_TOKEN);
  });

  it("never lets private key material out of the vault: not in Redis traffic, Redis data, logs or replies", async () => {
    // Pairs made for the pool, handed out, connected, abandoned and cancelled.
    await waitForPool(h, 2);
    const connected = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, connected);
    connected.say(h.bybit.createSelfGeneratedKey(publicKeyPem).apiKey);
    await connected.reply();
    expect(await connected.reply()).toContain("✅ Connected");
    const abandoned = h.follower();
    await makePairAndGetPublicKey(h, abandoned);
    const cancelled = h.follower();
    await makePairAndGetPublicKey(h, cancelled);
    const cancelledPair = (await h.pendingKeyPairs.open(cancelled.user.id, h.now))!;
    cancelled.say("/cancel");
    await cancelled.reply();
    await waitForPool(h, 2);

    const privateKeys = [
      (await h.credentials.reveal(connected.user.id))!.credentials.apiSecret,
      (await h.pendingKeyPairs.open(abandoned.user.id, h.now))!.privateKeyPem,
      cancelledPair.privateKeyPem,
      ...(await pooledPrivateKeys(h)),
    ];
    // Any 48 base64 characters of the PKCS#8 body would identify the key: look for every line of it.
    const fragments = privateKeys.flatMap((pem) =>
      pem.split("\n").filter((line) => line.length >= 48 && !line.startsWith("-----")),
    );
    expect(fragments.length).toBeGreaterThan(4 * 20);

    await monitor.caughtUp(h.redis);
    const redisTraffic = monitor.commands().join("\n");
    expect(redisTraffic).toContain("pending-key-pair");
    const places = {
      "Redis traffic": redisTraffic,
      "Redis data": await everyValueInRedis(h),
      logs: h.logs.join("\n"),
      replies: [connected, abandoned, cancelled].flatMap((follower) => follower.transcript()).join("\n"),
    };
    for (const [where, text] of Object.entries(places)) {
      expect(
        [...fragments, "PRIVATE KEY"].filter((fragment) => text.includes(fragment)),
        where,
      ).toEqual([]);
    }
  });

  it("scrubs the bot token from any log line, and logs a third-party error without its message", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      neverLog: [BOT_TOKEN],
      destination: { write: (line: string) => lines.push(line) },
    });
    logger.error(
      { err: new Error(`request to https://api.telegram.org/bot${BOT_TOKEN}/getUpdates failed`) },
      "polling failed",
    );
    logger.info({ url: `https://api.telegram.org/bot${BOT_TOKEN}/getMe` }, "calling");
    expect(lines).toHaveLength(2);
    expect(lines.join("")).not.toContain(BOT_TOKEN);
    expect(lines[0]).toContain('"err":{"type":"Error"}');
    expect(lines[1]).toContain("/bot[redacted]/getMe");
  });

  it("logs errors by name: a parser's or an unknown error's message never, our own error types' and code words only", () => {
    const { apiSecret } = canaryCredentials();
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      neverLog: [],
      destination: { write: (line: string) => lines.push(line) },
    });
    let parserError: unknown;
    try {
      JSON.parse(`${apiSecret} and more of the body`);
    } catch (error) {
      parserError = error;
    }
    expect((parserError as Error).message).toContain(apiSecret.slice(0, 10));
    class UnknownLibraryError extends Error {}
    const redisReply = Object.assign(
      new Error(`OOM command not allowed when used memory > 'maxmemory'. script: ${apiSecret}`),
      { name: "ReplyError" },
    );
    const refused = Object.assign(new Error(`connect ECONNREFUSED ${apiSecret}`), { code: "ECONNREFUSED" });
    const errors = [
      parserError,
      new UnknownLibraryError(apiSecret),
      new TypeError(apiSecret),
      redisReply,
      refused,
      new SealError("tampered", "sealed data failed authentication"),
    ];
    for (const err of errors) logger.error({ err }, "failed");
    expect(lines.join("")).not.toContain(apiSecret.slice(0, 6));
    const logged = lines.map((line) => (JSON.parse(line) as { err: unknown }).err);
    expect(logged).toEqual([
      { type: "SyntaxError" },
      { type: "Error" },
      { type: "TypeError" },
      { type: "ReplyError", code: "OOM" },
      { type: "Error", code: "ECONNREFUSED" },
      { type: "SealError", message: "sealed data failed authentication" },
    ]);
  });

  it("logs a thrown SDK-style object by name and message only", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      neverLog: [],
      destination: { write: (line: string) => lines.push(line) },
    });
    const { apiKey, apiSecret } = canaryCredentials();
    logger.error(
      { err: { code: 502, message: "Bad Gateway", requestOptions: { key: apiKey, secret: apiSecret } } },
      "bybit failed",
    );
    expect(lines.join("")).not.toContain(apiKey);
    expect(lines.join("")).not.toContain(apiSecret);
  });
});
