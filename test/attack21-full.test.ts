import { randomInt } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeUser } from "./support/fake-telegram.js";
import { useServiceStage } from "./support/service.js";

// ATTACK (issue 21, defect 2): Redis at its memory limit at the worst moments, real src/main.ts.
const TOKEN = "535353:AAattack21-full-token-0123456789abc";
const stage = useServiceStage(TOKEN, { KEY_PAIR_POOL_SIZE: "0", LOG_LEVEL: "warn" });
let redis: Redis;
beforeAll(async () => {
  redis = new Redis(stage.redisUrl);
  const service = stage.start();
  await stage.telegram.waitForCall((call) => call.method === "getUpdates" && call.at > service.startedAt, 20_000, "the bot to poll");
});
afterAll(() => redis.disconnect());

const full = () => redis.config("SET", "maxmemory", "1");
const lift = () => redis.config("SET", "maxmemory", "0");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const follower = (): FakeUser => ({ id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "F" });
const next = async (user: FakeUser, timeoutMs = 10_000) => String((await stage.telegram.nextBotMessage(user.id, timeoutMs)).payload.text);

describe("ATTACK: Redis at its memory limit", () => {
  it("ATTACK: /panic while Redis refuses writes: the follower must hear at once what to do", async () => {
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
    await sleep(5_000);
    // Observed: only "Something went wrong on our side, and I can’t tell whether your last step went through.
    // Send /status to see what is stored, then try again if needed." The key stays active (the engine can trade
    // with it) and nothing freezes it once Redis takes writes again.
    // Expected: at once, that the key could not be frozen and to delete it in Bybit now (with the link); and the
    // freeze done (or the follower told to send /panic again) once Redis takes writes.
    expect(told.join("\n")).toMatch(/Bybit/);
    expect(await redis.hget(`follower:{${user.id}}:credential`, "status")).not.toBe("active");
  });
});
