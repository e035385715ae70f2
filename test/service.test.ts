import { randomInt } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, startLocalRedis } from "../src/infra/local-redis.js";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeBybit } from "./support/fake-bybit.js";
import type { FakeTelegram, FakeUser } from "./support/fake-telegram.js";
import { startService, useServiceStage, type Service } from "./support/service.js";

// The real src/main.ts as an operator runs it: webhook replicas, probes, metrics, start-up.
const TOKEN = "434343:AAservice-test-token-0123456789ab";
const SECRET = "webhook-secret-0123456789";
const stage = useServiceStage(TOKEN);
let telegram: FakeTelegram;
let bybit: FakeBybit;
let env: Record<string, string>;
beforeAll(() => ({ telegram, bybit, env } = stage));
const start = (extra: Record<string, string>) => stage.start(extra);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url).catch(() => null);
  return response ? { status: response.status, text: await response.text() } : { status: 0, text: "" };
}

async function until<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const user = (): FakeUser => ({ id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "F" });
const next = async (follower: FakeUser) => String((await telegram.nextBotMessage(follower.id, 15_000)).payload.text);

describe("webhook mode", () => {
  let replicas: Service[] = [];
  // Even when a test fails midway: a webhook left set (or set again by a replica still starting) would stop
  // the next tests' polling services at start.
  afterEach(async () => {
    await Promise.all(replicas.filter((replica) => replica.child.exitCode === null).map((replica) => replica.crash()));
    telegram.webhookTargets = undefined;
    await fetch(`${env.TELEGRAM_API_ROOT}/bot${TOKEN}/deleteWebhook`, { method: "POST" });
  });
  it("serves a follower through two replicas, each chat in order, and answers 401 to a wrong secret, touching nothing", async () => {
    const ports = [await freePort(), await freePort()];
    const hook = `http://127.0.0.1:${ports[0]}/telegram/${SECRET.slice(0, 8)}`;
    telegram.webhookTargets = ports.map((port) => `http://127.0.0.1:${port}`);
    const since = performance.now();
    replicas = ports.map((port) =>
      start({ ROLE: "bot", PORT: String(port), WEBHOOK_URL: hook, WEBHOOK_SECRET: SECRET }),
    );
    // Both replicas set the webhook before the first update (ready says only that a replica serves HTTP).
    await until(
      async () => telegram.callsOf("setWebhook").filter((call) => call.at > since),
      (calls) => calls.length >= 2,
      20_000,
      "both replicas' setWebhook",
    );
    await until(
      async () => Promise.all(ports.map((port) => get(`http://127.0.0.1:${port}/readyz`))),
      (all) => all.every((probe) => probe.status === 200),
      20_000,
      "both replicas ready",
    );
    const setWebhook = telegram.callsOf("setWebhook").at(-1)!.payload;
    expect(setWebhook).toMatchObject({ url: hook, secret_token: SECRET });
    expect(setWebhook.allowed_updates).toContain("callback_query");

    const alice = user();
    const creds = canaryCredentials();
    bybit.addKey(creds);
    telegram.sendText(alice, "/connect");
    expect(await next(alice)).toContain("Let’s connect");
    telegram.pressButton(alice, telegram.lastBotMessage(alice.id), "connect:have-secret");
    expect(await next(alice)).toContain("System-generated API Keys");
    const pasted = telegram.sendText(alice, `${creds.apiKey} ${creds.apiSecret}`);
    expect(await next(alice)).toBe("Checking the key with Bybit…");
    expect(await next(alice)).toContain("✅ Connected");
    expect(telegram.messageExists(alice.id, pasted.message_id)).toBe(false);
    // Both replicas took part.
    expect([...telegram.webhook!.handledBy.values()].every((count) => count >= 1)).toBe(true);
    expect(telegram.webhook!.handledBy.size).toBe(2);

    // A forged update: no secret, then a wrong one. Nothing is handled, nothing is said.
    const mallory = user();
    const forged = {
      update_id: 999_999,
      message: { message_id: 1, date: 0, chat: { id: mallory.id, type: "private" }, from: mallory, text: "/status" },
    };
    for (const headers of [{}, { "x-telegram-bot-api-secret-token": "wrong-secret-0123456789" }] as Record<
      string,
      string
    >[]) {
      const response = await fetch(`http://127.0.0.1:${ports[1]}${new URL(hook).pathname}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(forged),
      });
      expect(response.status).toBe(401);
    }
    // The right secret, but a body no update has: refused unread.
    const huge = await fetch(`http://127.0.0.1:${ports[1]}${new URL(hook).pathname}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      body: "x".repeat(2 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    // The right secret and a body that is not JSON, beginning with a secret: the parser's message
    // quotes the body's start, and the log must not.
    const leaked = canaryCredentials().apiSecret;
    const malformed = await fetch(`http://127.0.0.1:${ports[1]}${new URL(hook).pathname}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      body: `${leaked}}`,
    });
    expect(malformed.status).toBe(500);
    await until(
      async () => replicas[1]!.output(),
      (output) => output.includes("an HTTP request failed"),
      10_000,
      "the failed request logged",
    );
    const logged = replicas.map((replica) => replica.output()).join("");
    expect(logged).toContain('"err":{"type":"SyntaxError"}');
    expect(logged).not.toContain(leaked.slice(0, 6));
    await sleep(500);
    expect(telegram.botTexts(mallory.id)).toEqual([]);
  }, 60_000);
});

describe("probes and metrics", () => {
  it("says not ready while Redis is away and ready when it is back, and counts a connect", async () => {
    const own = await startLocalRedis();
    const port = await freePort();
    const service = start({ ROLE: "all", PORT: String(port), REDIS_URL: own.url });
    const base = `http://127.0.0.1:${port}`;
    await until(
      () => get(`${base}/readyz`),
      (probe) => probe.status === 200,
      20_000,
      "ready",
    );
    expect((await get(`${base}/livez`)).status).toBe(200);

    const bob = user();
    const creds = canaryCredentials();
    bybit.addKey(creds);
    telegram.sendText(bob, "/connect");
    await next(bob);
    telegram.sendText(bob, `${creds.apiKey} ${creds.apiSecret}`);
    await next(bob);
    expect(await next(bob)).toContain("✅ Connected");
    const metrics = (await get(`${base}/metrics`)).text;
    expect(metrics).toMatch(/connects_total\{outcome="accepted"\} 1/);
    expect(metrics).toMatch(/credential_exposure_seconds_count \d+/);
    expect(metrics).toMatch(/exchange_request_seconds_count\{exchange="bybit",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/bullmq_jobs\{queue="reminders",state="delayed"\} \d+/);
    expect(metrics).toContain("process_cpu_user_seconds_total");
    for (const secret of [String(bob.id), creds.apiKey, creds.apiSecret]) expect(metrics).not.toContain(secret);

    const redisPort = Number(new URL(own.url).port);
    await own.stop();
    const down = await until(
      () => get(`${base}/readyz`),
      (probe) => probe.status === 503,
      10_000,
      "not ready",
    );
    expect(down.text).toContain("redis");
    expect((await get(`${base}/livez`)).status).toBe(200);
    const again = await startLocalRedis({ port: redisPort });
    await until(
      () => get(`${base}/readyz`),
      (probe) => probe.status === 200,
      20_000,
      "ready again",
    );
    await service.crash();
    await again.stop();
  }, 60_000);
});

describe("switching modes", () => {
  it("does not poll while a webhook is set: one line, exit 1", async () => {
    await fetch(`${env.TELEGRAM_API_ROOT}/bot${TOKEN}/setWebhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: "https://bot.example.com/hook" }),
    });
    const service = start({ ROLE: "bot", PORT: "0" });
    const { code } = await service.exited;
    await fetch(`${env.TELEGRAM_API_ROOT}/bot${TOKEN}/deleteWebhook`, { method: "POST" });
    expect(code).toBe(1);
    expect(service.output()).toContain("a webhook is set (bot.example.com)");
    expect(service.output()).not.toMatch(/\n\s+at /);
  }, 30_000);
});

describe("a worker-only process", () => {
  it("serves its probes and metrics on METRICS_PORT", async () => {
    const port = await freePort();
    const worker = start({ ROLE: "worker", METRICS_PORT: String(port) });
    await until(
      () => get(`http://127.0.0.1:${port}/readyz`),
      (probe) => probe.status === 200,
      20_000,
      "ready",
    );
    expect((await get(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    expect((await get(`http://127.0.0.1:${port}/metrics`)).text).toMatch(
      /bullmq_jobs\{queue="key-watch",state="delayed"\} \d+/,
    );
    worker.child.kill("SIGTERM");
    expect((await worker.exited).code).toBe(0);
  }, 30_000);
});

/** The first line of the service's output that starts with `start`. */
const lineStarting = (service: Service, start: string) =>
  service
    .output()
    .split("\n")
    .find((text) => text.startsWith(start));

describe("start-up", () => {
  it("names an unreachable Telegram in one line, with the host and the cause, and keeps trying", async () => {
    const closed = await freePort();
    const service = start({ ROLE: "bot", PORT: "0", TELEGRAM_API_ROOT: `http://127.0.0.1:${closed}` });
    await until(
      async () => service.output(),
      (output) => output.split("\n").filter((line) => line.includes("cannot reach Telegram")).length >= 2,
      10_000,
      "two tries",
    );
    const line = service
      .output()
      .split("\n")
      .find((text) => text.includes("cannot reach Telegram"))!;
    expect(line).toContain(`127.0.0.1:${closed}`);
    expect(line).toContain("ECONNREFUSED");
    expect(line).toContain("npm run sandbox");
    expect(service.output()).not.toMatch(/\n\s+at /);
    expect(service.output()).not.toContain(TOKEN.split(":")[1]);
    expect(service.child.exitCode).toBeNull();
    await service.crash();
  }, 30_000);

  it("exits with code 1 and one line on a refused token, and leaves no redis-server behind", async () => {
    const { REDIS_URL: _url, ...development } = env;
    const service = startService({
      ...development,
      NODE_ENV: "development",
      BOT_TOKEN: "434343:AAwrong-token-0123456789abcdefgh",
      PORT: "0",
      DATA_DIR: `/tmp/bot-start-${randomInt(1e9)}`,
    });
    const { code } = await service.exited;
    expect(code).toBe(1);
    const lines = service.output().trim().split("\n");
    // A plain line for the operator, not a JSON record.
    expect(lines.filter((line) => line.startsWith("Telegram refused BOT_TOKEN"))).toHaveLength(1);
    expect(service.output()).not.toMatch(/\n\s+at /);
    expect(service.output()).not.toContain("started a local redis-server");
  }, 30_000);
  it("exits non-zero with one line naming host:port when Redis cannot be reached at start", async () => {
    const closed = await freePort();
    const service = start({
      ROLE: "bot",
      PORT: "0",
      REDIS_URL: `redis://127.0.0.1:${closed}`,
      REDIS_START_WAIT_SECONDS: "2",
    });
    const { code } = await service.exited;
    expect(code).toBe(1);
    const line = lineStarting(service, "Cannot reach Redis");
    expect(line).toContain(`127.0.0.1:${closed} (REDIS_URL)`);
    expect(line).toContain("ECONNREFUSED");
    expect(line).toContain("start Redis there or fix REDIS_URL");
    expect(service.output()).not.toContain("connection lost");
    expect(service.output()).not.toMatch(/\n\s+at /);
  }, 30_000);

  it("says the password was refused, without printing it", async () => {
    const guarded = await startLocalRedis();
    const admin = new Redis(guarded.url);
    await admin.config("SET", "requirepass", "right0password");
    admin.disconnect();
    try {
      const { port } = new URL(guarded.url);
      const service = start({ ROLE: "bot", PORT: "0", REDIS_URL: `redis://:wrong0password@127.0.0.1:${port}` });
      const { code } = await service.exited;
      expect(code).toBe(1);
      const line = lineStarting(service, "Cannot reach Redis");
      expect(line).toContain(`127.0.0.1:${port}`);
      expect(line).toContain("refused the password");
      expect(service.output()).not.toContain("wrong0password");
      // Nothing after it says the service is still trying.
      expect(service.output()).not.toContain("trying again");
      expect(service.output().trim().split("\n").at(-1)).toMatch(/^Cannot reach Redis/);
    } finally {
      await guarded.stop();
    }
  }, 30_000);
});
