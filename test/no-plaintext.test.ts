import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/infra/logger.js";
import { canaryCredentials } from "./support/canaries.js";
import { BOT_TOKEN, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
let monitor: Redis;
const commands: string[] = [];

beforeEach(async () => {
  h = await startHarness();
  monitor = await h.redis.duplicate().monitor();
  monitor.on("monitor", (_time: string, args: string[]) => commands.push(args.join(" ")));
});
afterEach(async () => {
  monitor.disconnect();
  await h.stop();
});

/** MONITOR lags the commands it reports: wait until a marker command has come through. */
async function monitorCaughtUp(): Promise<void> {
  const marker = `marker-${Date.now()}`;
  await h.redis.echo(marker);
  const deadline = Date.now() + 5000;
  while (!commands.some((command) => command.includes(marker))) {
    if (Date.now() > deadline) throw new Error("MONITOR never reported the marker");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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

    await monitorCaughtUp();
    // The test would prove nothing if the conversation had not gone through Redis at all.
    expect(commands.some((command) => command.startsWith("set conversation:"))).toBe(true);
    expect(commands.some((command) => command.startsWith("hset follower:{"))).toBe(true);
    // Conversation state expires within 30 minutes even if a flow is abandoned.
    const conversationWrites = commands.filter((command) => command.startsWith("set conversation:"));
    expect(conversationWrites.every((command) => / EX 1800$/i.test(command))).toBe(true);

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
