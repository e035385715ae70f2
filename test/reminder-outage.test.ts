import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Api } from "grammy";
import type { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { createAuditTrail } from "../src/audit/trail.js";
import { createReminderDelivery } from "../src/bot/reminder-delivery.js";
import { startLocalRedis, type LocalRedis } from "../src/infra/local-redis.js";
import { createLogger } from "../src/infra/logger.js";
import { redisClient, type RedisClient } from "../src/infra/redis.js";
import { startReminderWorker } from "../src/reminders/worker.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { createCredentialStore } from "../src/stores/credential-store.js";
import { createFollowerLanguages } from "../src/stores/follower-language.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { dueReminders, rotationRemindersIn } from "./support/due-reminders.js";
import { FakeTelegram } from "./support/fake-telegram.js";

// A real redis-server of this file's own, killed the moment Telegram has taken a reminder (before
// the worker can record it) and started again on the same port from its append-only file.
const TOKEN = "515151:AAoutage-test-token-0123456789abc";
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

it('sends no second copy when Redis is lost between Telegram\'s answer and the "sent" record', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "reminder-outage-"));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  let server: LocalRedis = await startLocalRedis({ dataDir });
  cleanup.push(() => server.stop());
  const port = Number(new URL(server.url).port);
  const telegram = new FakeTelegram(TOKEN);
  const apiRoot = await telegram.start();
  cleanup.push(() => telegram.stop());

  // The service's connection gives up on a command after about 35 s without Redis; this one after one
  // retry, so that a few seconds of outage make the "sent" write fail as a long outage would.
  const clients: RedisClient[] = [
    redisClient({ url: server.url }, { maxRetriesPerRequest: 1 }),
    redisClient({ url: server.url }, { maxRetriesPerRequest: null }),
  ];
  const [redis, connection] = clients as [RedisClient, RedisClient];
  for (const client of clients) client.on("error", () => undefined);
  cleanup.push(() => clients.forEach((client) => client.disconnect()));
  const sealKeys = generateKeyringEntry();
  const records = await dueReminders(redis as Redis, sealKeys, 3);
  const redisPid = Number(/process_id:(\d+)/.exec(await (redis as Redis).info("server"))![1]);

  const logger = createLogger({ level: "silent", neverLog: [TOKEN], destination: { write: () => undefined } });
  const worker = startReminderWorker({
    connection,
    prefix: "{reminders}",
    redis,
    credentials: createCredentialStore(redis, createSealer(parseKeyring(sealKeys))),
    deliver: createReminderDelivery(new Api(TOKEN, { apiRoot }), Date.now, createFollowerLanguages(redis), {
      rotateAfterDays: 80,
      keyMaxAgeDays: 90,
    }),
    clock: Date.now,
    logger,
    metrics: createMetrics(),
    audit: createAuditTrail(redis, { logger }),
    lockDurationMs: 1000,
  });
  cleanup.push(() => worker.close());

  let back: Promise<void> | undefined;
  telegram.onAnswered = (call) => {
    if (call.method !== "sendMessage") return;
    telegram.onAnswered = undefined;
    // Before the worker has read Telegram's answer: it finds Redis gone when it goes to record it.
    process.kill(redisPid, "SIGKILL");
    back = (async () => {
      await server.stop();
      await sleep(3000);
      server = await startLocalRedis({ dataDir, port });
    })();
  };

  const copies = () => records.map((record) => rotationRemindersIn(telegram.botTexts(record.userId)));
  await waitUntil(() => back !== undefined, 10_000, "the first reminder");
  await back;
  await waitUntil(() => copies().every((n) => n > 0), 15_000, "every reminder");
  // Long enough for a job taken up again (its lock ran out in the outage) or retried after 5 s.
  await sleep(7000);
  expect(copies()).toEqual([1, 1, 1]);
}, 30_000);
