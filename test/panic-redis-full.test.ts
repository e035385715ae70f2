import { randomInt } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeUser } from "./support/fake-telegram.js";
import { useServiceStage } from "./support/service.js";

// Issue 21, defect 2 (found by an attack pass): /panic while Redis is at its memory limit, real src/main.ts.
const TOKEN = "535353:AAattack21-full-token-0123456789abc";
const stage = useServiceStage(TOKEN, { KEY_PAIR_POOL_SIZE: "0", LOG_LEVEL: "warn" });
let redis: Redis;
beforeAll(async () => {
  redis = new Redis(stage.redisUrl);
  const service = stage.start();
  await stage.telegram.waitForCall(
    (call) => call.method === "getUpdates" && call.at > service.startedAt,
    20_000,
    "the bot to poll",
  );
});
afterAll(() => redis.disconnect());

const full = () => redis.config("SET", "maxmemory", "1");
const lift = () => redis.config("SET", "maxmemory", "0");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const follower = (): FakeUser => ({ id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "F" });
const next = async (user: FakeUser, timeoutMs = 10_000) =>
  String((await stage.telegram.nextBotMessage(user.id, timeoutMs)).payload.text);

describe("/panic while Redis is at its memory limit", () => {
  it("says at once to delete the key in Bybit, freezes it once Redis takes writes, and says so", async () => {
    const user = follower();
    const creds = canaryCredentials();
    stage.bybit.addKey(creds);
    stage.telegram.sendText(user, "/connect");
    await next(user);
    stage.telegram.sendText(user, `${creds.apiKey} ${creds.apiSecret}`);
    for (let reply = await next(user); !reply.includes("✅ Connected"); reply = await next(user));
    await full();
    const before = stage.telegram.botTexts(user.id).length;
    let told: string[];
    try {
      stage.telegram.sendText(user, "/panic");
      await sleep(8_000);
      told = stage.telegram.botTexts(user.id).slice(before);
    } finally {
      await lift();
    }
    // At once: not frozen yet, delete it in Bybit now (revoke first); the key was not left silently active.
    expect(told).toHaveLength(1);
    expect(told[0]).toContain("I could not freeze your key");
    expect(told[0]).toContain('Delete the key in <a href="https://www.bybit.com/app/user/api-management">');
    // Redis takes writes again: the freeze follows within seconds, with the usual steps.
    for (let waited = 0; (await redis.hget(`follower:{${user.id}}:credential`, "status")) === "active"; waited += 100) {
      if (waited > 10_000) throw new Error("the key was not frozen once Redis took writes again");
      await sleep(100);
    }
    expect(await next(user)).toContain("I could not freeze your key");
    expect(await next(user)).toContain("🧊 Frozen");
    expect(await next(user)).toContain("Now revoke");
  });
});
