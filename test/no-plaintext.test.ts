import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createLogger } from "../src/infra/logger.js";
import { canaryCredentials } from "./support/canaries.js";
import { BOT_TOKEN, startHarness, type Follower, type Harness } from "./support/harness.js";
import { RedisMonitor } from "./support/redis-monitor.js";

let h: Harness;
let monitor: RedisMonitor;

beforeEach(async () => {
  monitor = await RedisMonitor.start(inject("redisUrl"));
  h = await startHarness();
});
afterEach(async () => {
  monitor.stop();
  await h.stop();
});

async function everyValueInRedis(redis: Redis): Promise<string> {
  const dump: string[] = [];
  for (const key of await redis.keys("*")) {
    const type = await redis.type(key);
    dump.push(key);
    if (type === "string") dump.push((await redis.getBuffer(key))!.toString("latin1"));
    if (type === "hash") dump.push(...Object.values(await redis.hgetallBuffer(key)).map((value) => value.toString("latin1")));
  }
  return dump.join("\n");
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
    expect(commands.some((command) => command.includes('"hset" "follower:{'))).toBe(true);
    // Conversation state expires within 30 minutes even if a flow is abandoned.
    expect(conversationWrites.every((command) => command.endsWith('"EX" "1800"'))).toBe(true);

    const redisTraffic = commands.join("\n");
    const atRest = await everyValueInRedis(h.redis);
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

  it("scrubs the bot token from any log line, even inside a third-party error message", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", neverLog: [BOT_TOKEN], destination: { write: (line: string) => lines.push(line) } });
    logger.error({ err: new Error(`request to https://api.telegram.org/bot${BOT_TOKEN}/getUpdates failed`) }, "polling failed");
    logger.info({ url: `https://api.telegram.org/bot${BOT_TOKEN}/getMe` }, "calling");
    expect(lines).toHaveLength(2);
    expect(lines.join("")).not.toContain(BOT_TOKEN);
    expect(lines[0]).toContain("/bot[redacted]/getUpdates failed");
  });

  it("logs a thrown SDK-style object by name and message only", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", neverLog: [], destination: { write: (line: string) => lines.push(line) } });
    const { apiKey, apiSecret } = canaryCredentials();
    logger.error({ err: { code: 502, message: "Bad Gateway", requestOptions: { key: apiKey, secret: apiSecret } } }, "bybit failed");
    expect(lines.join("")).not.toContain(apiKey);
    expect(lines.join("")).not.toContain(apiSecret);
  });
});
