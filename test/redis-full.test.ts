import { randomInt } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOW_STATE_PREFIX } from "../src/vault/sealed-storage.js";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeUser } from "./support/fake-telegram.js";
import { useServiceStage, type Service } from "./support/service.js";

// Redis at its memory limit (maxmemory + noeviction refuses every write), with the real
// src/main.ts in a child process: sending goes on, and a follower whose key check the fault cut
// short hears what became of the key once Redis takes writes again (issue 21, defect 2).
const TOKEN = "565656:AAredis-full-test-token-0123456789";
const stage = useServiceStage(TOKEN, { KEY_PAIR_POOL_SIZE: "0", LOG_LEVEL: "warn" });
let redis: Redis;
let service: Service;

beforeAll(async () => {
  redis = new Redis(stage.redisUrl);
  const since = performance.now();
  service = stage.start();
  await stage.telegram.waitForCall(
    (call) => call.method === "getUpdates" && call.at > since,
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
const stored = async (user: FakeUser) => (await redis.hget(`follower:{${user.id}}:credential`, "status")) === "active";

/** A follower at the step that takes a key and its secret. */
async function atPasteStep(): Promise<{ user: FakeUser; paste: string }> {
  const user = follower();
  const credentials = canaryCredentials();
  stage.bybit.addKey(credentials);
  stage.telegram.sendText(user, "/connect");
  expect(await next(user)).toContain("Let’s connect");
  // The flow's state is written after its first word: in Redis before Redis fills up.
  for (let tries = 0; !(await redis.exists(`${FLOW_STATE_PREFIX}${user.id}`)); tries += 1) {
    if (tries > 100) throw new Error("the flow's state was never stored");
    await sleep(20);
  }
  return { user, paste: `${credentials.apiKey} ${credentials.apiSecret}` };
}

describe("Redis at its memory limit", () => {
  it("answers a command: the shared send budget falls back to pacing in the process", async () => {
    const user = follower();
    await full();
    try {
      stage.telegram.sendText(user, "/help");
      expect(await next(user)).toBeTruthy();
    } finally {
      await lift();
    }
    expect(service.output()).not.toContain("update failed");
  });

  it("tells a follower who pasted a key while Redis refused writes, at once, that nothing was stored", async () => {
    const { user, paste } = await atPasteStep();
    await full();
    let told: string;
    try {
      stage.telegram.sendText(user, paste);
      // Said now, by this process (a debt kept in memory until Redis is back would die with it).
      told = await next(user, 10_000);
    } finally {
      await lift();
    }
    expect(told).toContain("our storage is failing right now, so I did not check your key, and nothing was stored");
    expect(told).toContain("/connect");
    expect(await stored(user)).toBe(false);
    await sleep(3000);
    expect(stage.telegram.botTexts(user.id).at(-1)).toBe(told);
  });

  it("tells a follower whose check was in flight when Redis filled up what became of the key", async () => {
    const { user, paste } = await atPasteStep();
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let asked = () => undefined as void;
    const atBybit = new Promise<void>((resolve) => (asked = resolve));
    stage.bybit.beforeAnswer = async () => {
      asked();
      await gate;
    };
    try {
      stage.telegram.sendText(user, paste);
      expect(await next(user)).toBe("Checking the key with Bybit…");
      await atBybit;
      await full();
      release();
      await sleep(3000);
    } finally {
      stage.bybit.beforeAnswer = undefined;
      release();
      await lift();
    }
    const told = await next(user, 15_000);
    expect(told).toMatch(/nothing was stored|is connected. Sorry for the wait/);
    expect(told.includes("is connected. Sorry for the wait")).toBe(await stored(user));
    await sleep(1000);
    // Told once.
    expect(stage.telegram.botTexts(user.id).at(-1)).toBe(told);
  });
});

// Issue 21, defect 2 (found by an attack pass): /panic while Redis is at its memory limit.
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
      // The first word, then three rounds of the freeze's retries (one a second) that must say nothing more.
      for (let waited = 0; stage.telegram.botTexts(user.id).length === before && waited < 8_000; waited += 20)
        await sleep(20);
      await sleep(3_000);
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
