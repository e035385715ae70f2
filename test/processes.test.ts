import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRedis } from "../src/infra/local-redis.js";
import type { CredentialRecord } from "../src/stores/credential-store.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import { canaryCredentials } from "./support/canaries.js";
import { dueReminders as dueRemindersIn, rotationRemindersIn } from "./support/due-reminders.js";
import type { FakeBybit } from "./support/fake-bybit.js";
import type { FakeTelegram, FakeUser } from "./support/fake-telegram.js";
import { startService, useServiceStage, type Service } from "./support/service.js";

// The real src/main.ts in child processes, killed and stopped at chosen moments, against a
// redis-server of its own (a worker's reconciliation reads every key in its Redis).
const TOKEN = "424242:AAprocess-test-token-0123456789ab";
const SEAL_KEYS = generateKeyringEntry();
// A claim's lease of 2 s: a reminder whose worker was killed mid-send goes out again 2 s later (20 s by default).
// A beat of 1 s: a key check cut short by a crash is noticed after 3 s of silence (15 s by default).
const stage = useServiceStage(TOKEN, {
  SEAL_KEYS,
  REMINDER_LOCK_SECONDS: "1",
  REMINDER_LEASE_SECONDS: "2",
  RECOVERY_BEAT_MS: "1000",
});
let redis: Redis;
let telegram: FakeTelegram;
let bybit: FakeBybit;
beforeAll(() => {
  ({ telegram, bybit } = stage);
  redis = new Redis(stage.redisUrl);
});
afterAll(() => redis.disconnect());

/** Until this process polls: a getUpdates call made after it started (the fake keeps earlier processes' calls). */
async function polling(service: Service): Promise<void> {
  await telegram.waitForCall((call) => call.method === "getUpdates" && call.at > service.startedAt, 20_000, "polling");
}

const start = (extra: Record<string, string> = {}): Service => stage.start(extra);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const dueReminders = (count: number) => dueRemindersIn(redis, SEAL_KEYS, count);

const remindersTo = (userId: number) => rotationRemindersIn(telegram.botTexts(userId));
const delivered = (records: CredentialRecord[]) => records.filter((record) => remindersTo(record.userId) > 0).length;

describe("reminders when workers die", () => {
  it("arrive although the worker is killed twice while the same reminder is in flight", async () => {
    const [record] = await dueReminders(1);
    const attempts = () =>
      telegram.callsOf("sendMessage").filter((call) => call.payload.chat_id === record!.userId).length;
    telegram.delayMethod("sendMessage", 1500);
    for (let kill = 1; kill <= 2; kill += 1) {
      const worker = start({ ROLE: "worker" });
      await waitUntil(() => attempts() >= kill, 30_000, `attempt ${kill}`);
      await worker.crash();
    }
    telegram.delayMethod("sendMessage", 0);
    expect(remindersTo(record!.userId)).toBe(0);
    const last = start({ ROLE: "worker" });
    await waitUntil(() => remindersTo(record!.userId) >= 1, 30_000, "the reminder");
    await last.crash();
    expect(remindersTo(record!.userId)).toBe(1);
  }, 90_000);

  it("lose none of 200 due reminders to three kill -9 at random moments", async () => {
    const records = await dueReminders(200);
    let worker = start({ ROLE: "worker" });
    for (let kill = 0; kill < 3; kill += 1) {
      const before = delivered(records);
      await waitUntil(() => delivered(records) > before, 30_000, "the wave to go on");
      await sleep(randomInt(0, 600));
      await worker.crash();
      worker = start({ ROLE: "worker" });
    }
    await waitUntil(() => delivered(records) === records.length, 60_000, "every reminder");
    await worker.crash();
    expect(delivered(records)).toBe(200);
  }, 120_000);

  it("stop at SIGTERM in the middle of a wave within the bound, and the rest goes out after the restart", async () => {
    const records = await dueReminders(100);
    telegram.delayMethod("sendMessage", 100);
    const service = start({ ROLE: "all" });
    await waitUntil(() => delivered(records) >= 10, 30_000, "the wave to start");
    const signalled = performance.now();
    service.child.kill("SIGTERM");
    const { code, at } = await service.exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(8000);
    expect(delivered(records)).toBeLessThan(100);
    telegram.delayMethod("sendMessage", 0);
    const again = start({ ROLE: "worker" });
    await waitUntil(() => delivered(records) === records.length, 60_000, "every reminder");
    await again.crash();
  }, 120_000);
});

describe("the bot process", () => {
  it("polls again within a few seconds of a Telegram outage ending", async () => {
    const bot = start({ ROLE: "bot" });
    await polling(bot);
    telegram.setDown(true);
    await sleep(8000);
    telegram.setDown(false);
    const back = performance.now();
    const poll = await telegram.waitForCall(
      (call) => call.method === "getUpdates" && call.at > back,
      10_000,
      "polling after the outage",
    );
    expect(poll.at - back).toBeLessThan(3000);
    const follower: FakeUser = { id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "F" };
    telegram.sendText(follower, "/status");
    expect(String((await telegram.nextBotMessage(follower.id, 10_000)).payload.text)).toContain("No key is connected");
    await bot.crash();
  }, 60_000);

  it("finishes a key check under way at SIGTERM before it exits: the follower gets the verdict", async () => {
    const bot = start({ ROLE: "bot" });
    await polling(bot);
    const follower: FakeUser = { id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "F" };
    const next = async () => String((await telegram.nextBotMessage(follower.id, 15_000)).payload.text);
    const creds = canaryCredentials();
    bybit.addKey(creds);
    telegram.sendText(follower, "/connect");
    await next();
    bybit.beforeAnswer = () => new Promise((resolve) => setTimeout(resolve, 1500));
    telegram.sendText(follower, `${creds.apiKey} ${creds.apiSecret}`);
    expect(await next()).toBe("Checking the key with Bybit…");
    bot.child.kill("SIGTERM");
    expect(await next()).toContain("✅ Connected");
    bybit.beforeAnswer = undefined;
    expect((await bot.exited).code).toBe(0);
  }, 30_000);

  it("tells a follower whose key check a crash cut short, soon after the restart, and starts afresh", async () => {
    const bot = start({ ROLE: "bot", BYBIT_TIMEOUT_MS: "1000" });
    await polling(bot);
    const follower: FakeUser = { id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "F" };
    // A check is cut short after three missed beats, and the sweep runs every beat.
    const next = async () => String((await telegram.nextBotMessage(follower.id, 30_000)).payload.text);
    telegram.sendText(follower, "/connect");
    await next();
    telegram.pressButton(follower, telegram.lastBotMessage(follower.id), "connect:have-secret");
    await next();
    const creds = canaryCredentials();
    bybit.addKey(creds);
    bybit.mode = "hang";
    telegram.sendText(follower, `${creds.apiKey} ${creds.apiSecret}`);
    expect(await next()).toBe("Checking the key with Bybit…");
    await bot.crash();
    bybit.mode = "normal";

    const restarted = start({ ROLE: "bot", BYBIT_TIMEOUT_MS: "1000" });
    expect(await next()).toContain(
      "I was restarted while checking your key, so the check did not finish and nothing was stored",
    );
    expect(await redis.exists(`conversation:${follower.id}`)).toBe(0);
    telegram.sendText(follower, "/connect");
    expect(await next()).toContain("Let’s connect your Bybit account");
    await restarted.crash();
  }, 60_000);

  it("refuses to start in production without REDIS_URL, and starts no redis-server of its own", async () => {
    const { REDIS_URL: _url, ...withoutRedis } = stage.env;
    const service = startService(withoutRedis);
    const { code } = await service.exited;
    expect(code).toBe(1);
    expect(service.output()).toContain("REDIS_URL: is required in production");
    expect(service.output()).not.toContain("started a local redis-server");
  }, 30_000);

  it("reports a lost Redis in one line per connection, never a stack per retry", async () => {
    const doomed = await startLocalRedis();
    const bot = start({ ROLE: "bot", REDIS_URL: doomed.url });
    // This bot's own polling (the fake Telegram also saw the bots of earlier tests poll).
    for (
      const deadline = Date.now() + 20_000;
      !bot.output().includes("bot is running (long polling)");
      await sleep(50)
    ) {
      if (Date.now() > deadline) throw new Error(`the bot did not start polling:\n${bot.output()}`);
    }
    await doomed.stop();
    await sleep(4000);
    const lines = bot.output().split("\n");
    expect(bot.output()).not.toContain("Unhandled error event");
    expect(lines.filter((line) => line.includes("Redis connection lost")).length).toBeGreaterThanOrEqual(1);
    expect(lines.filter((line) => line.includes("Redis connection lost")).length).toBeLessThanOrEqual(3);
    await bot.crash();
  }, 60_000);
});
