import { randomInt, randomUUID } from "node:crypto";
import { run, type RunnerHandle } from "@grammyjs/runner";
import { type Queue } from "bullmq";
import { Api } from "grammy";
import { inject } from "vitest";
import { createBot } from "../../src/bot/create-bot.js";
import type { WebFeatureFactory } from "../../src/bot/web/features.js";
import { startHttpServer } from "../../src/http/server.js";
import { CHECK_BEAT_MS } from "../../src/bot/features/connect/connect.js";
import { POLLING } from "../../src/bot/polling.js";
import type { ShredderTiming } from "../../src/bot/intake/shredder.js";
import type { UpdateLimits } from "../../src/bot/limits/updates.js";
import { createReminderDelivery, createWatchNotice } from "../../src/bot/reminder-delivery.js";
import { TELEGRAM_LIMITS, type TelegramLimits } from "../../src/bot/sending/budget.js";
import { sendPath } from "../../src/bot/sending/send-path.js";
import { AUDIT_MAX_ENTRIES, AUDIT_RETENTION_DAYS, type AuditTrail } from "../../src/audit/trail.js";
import { buildServices, type Services } from "../../src/services.js";
import { createLogger } from "../../src/infra/logger.js";
import { redisClient, scanKeys, type RedisClient, type RedisTarget } from "../../src/infra/redis.js";
import { eventKeys, type EventKeys } from "../../src/events/outbox.js";
import { startEventRelay } from "../../src/events/relay.js";
import {
  retirementBrake,
  startKeyWatchWorker,
  type KeyWatchSchedule,
  type WatchJob,
} from "../../src/key-watch/worker.js";
import { startReminderWorker } from "../../src/reminders/worker.js";
import { type SharedKeys } from "../../src/key-watch/shared-keys.js";
import { type ReminderJob, type Reminders } from "../../src/reminders/schedule.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import type { RotationRules } from "../../src/policy/rotation.js";
import { type CredentialStore } from "../../src/stores/credential-store.js";
import { type FollowerStore } from "../../src/stores/follower-store.js";
import { type PanicStore } from "../../src/stores/panic-store.js";
import { type KeyPairPool, type PendingKeyPairs } from "../../src/stores/key-pairs.js";
import { generateKeyringEntry, parseKeyring } from "../../src/vault/keyring.js";
import { createSealer, type Sealer } from "../../src/vault/sealer.js";
import type { FakeBybit } from "./fake-bybit.js";
import { startBybitSites, type FakeBybitSites } from "./bybit-sites.js";
import { FakeTelegram, type FakeChat, type FakeMessage, type FakeUser } from "./fake-telegram.js";

export const BOT_TOKEN = "123456789:AAtest-token-canary-0123456789abcdef";
export const ORDER_LINK_ID_PREFIX = "copytrade-";
/**
 * Telegram's limits, but with room for a test that plays a whole story in one chat within
 * seconds (a person takes minutes): for tests about the flows, not the limits.
 */
export const ROOMY_CHATS: TelegramLimits = { ...TELEGRAM_LIMITS, privateChat: { intervalMs: 100, toleranceMs: 2000 } };

export const ROTATION: RotationRules = { rotateAfterDays: 80, keyMaxAgeDays: 90 };

export interface HarnessOptions {
  egressIps?: string[];
  bybitTimeoutMs?: number;
  /** Start the reminder worker with the bot (default true). */
  worker?: boolean;
  /** COPY_START_TEXT (default: none, each language's own). */
  copyStartText?: string;
  /** SUPPORT_CONTACT (default: none). */
  supportContact?: string;
  /** Ready key pairs to keep (default 0: each pair is made when a follower asks). */
  keyPairPoolSize?: number;
  /** When a check whose last beat is this old counts as cut short (default: three missed beats, as in production). */
  interruptedAfterMs?: number;
  /** How often checks under way beat and the recoveries look (default: production's). */
  recoveryBeatMs?: number;
  /** The service's Bybit budget (default: production's 300 per 5 s). */
  bybitRequestsPer5s?: number;
  /** Telegram's rate limits as the bot keeps them (default: Telegram's). */
  telegramLimits?: TelegramLimits;
  /** The updates the bot takes per chat and window (default: production's). */
  updateLimits?: UpdateLimits;
  /** SEAL_KEYS (default: one fresh entry). */
  sealKeys?: string;
  /** A Redis of the test's own (default: the run's, shared by every test file). */
  redisTarget?: RedisTarget;
  /** How the bot retries deletions (default: production's, with a 2 s lease and a 200 ms sweep). */
  shredderTiming?: Partial<ShredderTiming>;
  /** Features with a web side (Connect with Bybit, the Mini App): their routes are served on a free port. */
  web?: WebFeatureFactory[];
  /** The web server's port (default: a free one), where PUBLIC_URL must be known before the start. */
  webPort?: number;
}

export interface Follower {
  user: FakeUser;
  chat: FakeChat;
  say(text: string): FakeMessage;
  /** The bot's next message (or edit) in this chat; fails after a few seconds (or `timeoutMs`) of silence. */
  reply(timeoutMs?: number): Promise<string>;
  /** Every message the bot sent this follower so far. */
  transcript(): string[];
}

export interface ReminderWorkerHandle {
  close(): Promise<void>;
  /** Like a crash: stop without waiting for the job in flight. */
  kill(): Promise<void>;
}

/** The real bot, reminder worker and key watch, wired like production, against a real Redis and the two protocol fakes. */
export interface Harness {
  telegram: FakeTelegram;
  /** The global site's fake Bybit. */
  bybit: FakeBybit;
  /** A fake for every Bybit site (global included). */
  bybitSites: FakeBybitSites;
  /** The run's Redis: one server, or a Redis Cluster when the tests run on one. */
  redis: RedisClient;
  /** Every key that matches, on every node. */
  keysMatching(pattern: string): Promise<string[]>;
  sealer: Sealer;
  /** Every part the composition root made, as the bot has them: what a use case is called with. */
  services: Services;
  credentials: CredentialStore;
  followers: FollowerStore;
  panics: PanicStore;
  keyPairPool: KeyPairPool;
  pendingKeyPairs: PendingKeyPairs;
  queue: Queue<ReminderJob>;
  reminders: Reminders;
  /** Where this harness's key events go (its relay runs with the bot). */
  events: EventKeys;
  /** This harness's audit trail (the relay copies key events into it). */
  audit: AuditTrail;
  /** Waits until the relay has moved the follower's events on (and, after /forget, deleted their outbox). */
  eventsRelayed(userId: number): Promise<void>;
  /** The key watch's schedule (a day between looks); `lookNow` looks at a key at once and waits until the look is done. */
  watch: KeyWatchSchedule;
  watchQueue: Queue<WatchJob>;
  /** One key, one follower: what the bot, the watch and the reconciliation use to settle a shared key. */
  sharedKeys: SharedKeys;
  lookNow(record: { userId: number; ref: string }): Promise<void>;
  logs: string[];
  metrics: Metrics;
  /** Where pending deletions are kept for this harness. */
  pendingDeletionsKey: string;
  /** Stops the bot (gracefully, or as a crash would: nothing handed over) and starts a new one on the same Redis. */
  restartBot(how?: "graceful" | "crash"): Promise<void>;
  /** The HTTP server of the bot's web features (options.web), as the process serves them; null without. */
  web: { url: string } | null;
  /** The injected clock: tests move time by setting it. */
  now: number;
  /** A new follower; `languageCode` is their Telegram app's language (default: none said). */
  follower(options?: { languageCode?: string }): Follower;
  startWorker(): ReminderWorkerHandle;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const telegram = new FakeTelegram(BOT_TOKEN);
  const [telegramApiRoot, bybitSites] = await Promise.all([telegram.start(), startBybitSites()]);
  const bybit = bybitSites.global;
  const target = options.redisTarget ?? inject("redisTarget");
  const redis = redisClient(target);
  const logs: string[] = [];
  const logger = createLogger({
    level: "trace",
    neverLog: [BOT_TOKEN],
    destination: { write: (line: string) => logs.push(line) },
  });
  const metrics = createMetrics();
  // Keys of its own for everything shared by name: test files share one Redis.
  const tag = () => randomUUID().slice(0, 8);
  const pendingDeletionsKey = `{telegram-deletions-${tag()}}:pending`;
  const checksKey = `{checks-${tag()}}:under-way`;
  const panicStepsKey = `{panic-steps-${tag()}}:owed`;
  const restartNoticesKey = `{restart-${tag()}}:unanswered`;
  const keyPairPoolKey = `{key-pairs-${tag()}}:pool`;
  const events = eventKeys(`-${tag()}`);
  const sealer = createSealer(parseKeyring(options.sealKeys ?? generateKeyringEntry()));
  const queueConnection = redisClient(target, { maxRetriesPerRequest: 1 });
  const clock = () => harness.now;
  const services = buildServices(
    {
      queuePrefix: `{reminders-${tag()}}`,
      rotateAfterDays: ROTATION.rotateAfterDays,
      keyMaxAgeDays: ROTATION.keyMaxAgeDays,
      exchanges: {
        bybit: {
          baseUrl: bybitSites.baseUrl,
          siteUrls: bybitSites.siteUrls,
          timeoutMs: options.bybitTimeoutMs ?? 2000,
          requestsPer5s: options.bybitRequestsPer5s ?? 300,
        },
      },
      keyWatchEveryHours: 24,
      keyPairPoolSize: options.keyPairPoolSize ?? 0,
      budgetAnswerWithinMs: 2000,
      audit: { retentionDays: AUDIT_RETENTION_DAYS, maxEntries: AUDIT_MAX_ENTRIES },
    },
    { redis: { main: redis, queue: queueConnection }, sealer, logger, metrics, clock },
    {
      namespaces: {
        budgetPrefix: `test-${tag()}:`,
        events,
        auditStream: `${events.stream}:audit`,
        pendingDeletions: pendingDeletionsKey,
        checksUnderWay: checksKey,
        keyPairPool: keyPairPoolKey,
        panicSteps: panicStepsKey,
        restartNotices: restartNoticesKey,
      },
      // Short retries: the production backoff (5 s, doubling) would make a retry test wait for minutes.
      reminderRetry: { attempts: 4, backoffMs: 200 },
    },
  );
  const { credentials, followers, languages, panics, audit, keyPairPool, pendingKeyPairs, reminders, exchanges } =
    services;
  const { denylist, sharedKeys, telegramBudget: budget, reminderQueue: queue, watchQueue } = services;
  const watch = services.watchSchedule;
  const prefix = services.reminderQueue.opts.prefix!;
  const relay = startEventRelay({ redis, keys: events, logger, sweepEveryMs: 0, audit });
  keyPairPool.startRefilling();
  const looks = async () => (await metrics.keyWatch.get()).values.reduce((sum, value) => sum + value.value, 0);
  const workers = new Set<ReminderWorkerHandle>();

  const closing: (() => Promise<void>)[] = [];
  const harness: Harness = {
    telegram,
    bybit,
    bybitSites,
    redis,
    async keysMatching(pattern) {
      const found: string[] = [];
      for await (const { keys } of scanKeys(redis, pattern, { count: 1000 })) found.push(...keys);
      return found;
    },
    sealer,
    services,
    credentials,
    followers,
    panics,
    keyPairPool,
    pendingKeyPairs,
    queue,
    reminders,
    events,
    audit,
    async eventsRelayed(userId) {
      const deadline = Date.now() + 3000;
      const waiting = async () =>
        (await redis.xlen(`follower:{${userId}}:outbox`)) > 0 ||
        (await redis.zscore(events.pending, String(userId))) !== null;
      while (await waiting()) {
        if (Date.now() > deadline) throw new Error("the relay did not move the follower's events within 3 s");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    watch,
    watchQueue,
    sharedKeys,
    async lookNow(record) {
      const before = await looks();
      await watch.lookNow([record]);
      const deadline = Date.now() + 10_000;
      while ((await looks()) === before) {
        if (Date.now() > deadline) throw new Error("the key watch did not look at the key within 10 s");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The look is counted before its notice goes out: let that finish too.
      while ((await watchQueue.getActiveCount()) > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
    },
    logs,
    metrics,
    pendingDeletionsKey,
    async restartBot(how = "graceful") {
      await running.runner.stop();
      // A crash hands nothing over: what was pending waits for its lease to run out.
      await running.shredder.stop(how === "graceful");
      running.recovery.stop();
      running = startBot();
    },
    now: Date.now(),
    follower(options = {}) {
      const user: FakeUser = { id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "Follower" };
      if (options.languageCode) user.language_code = options.languageCode;
      const chat = telegram.privateChat(user);
      return {
        user,
        chat,
        say: (text) => telegram.sendText(user, text, chat),
        reply: async (timeoutMs) => String((await telegram.nextBotMessage(chat.id, timeoutMs)).payload.text),
        transcript: () => telegram.botTexts(chat.id),
      };
    },
    startWorker() {
      const connection = redisClient(target, { maxRetriesPerRequest: null });
      const running = startReminderWorker({
        connection,
        prefix,
        redis,
        credentials,
        deliver: createReminderDelivery(workerApi, clock, languages, ROTATION),
        clock,
        logger,
        metrics,
        audit,
        lockDurationMs: 1000,
      });
      const watching = startKeyWatchWorker({
        connection,
        prefix,
        credentials,
        findings: services.findings,
        exchanges,
        reminders,
        schedule: watch,
        denylist,
        sharedKeys,
        tell: createWatchNotice(workerApi, languages),
        clock,
        rotateAfterDays: ROTATION.rotateAfterDays,
        mayRetire: retirementBrake(budget),
        logger,
        metrics,
      });
      const handle: ReminderWorkerHandle = {
        async close() {
          workers.delete(handle);
          await Promise.all([running.close(), watching.close()]);
          connection.disconnect();
        },
        async kill() {
          workers.delete(handle);
          await Promise.all([running.worker.close(true), watching.worker.close(true)]);
          connection.disconnect();
        },
      };
      workers.add(handle);
      return handle;
    },
    web: null,
    async stop() {
      await Promise.all(closing.map((close) => close()));
      if (running.runner.isRunning()) await running.runner.stop();
      await running.shredder.stop();
      running.recovery.stop();
      await relay.stop();
      // One key at a time: on a cluster they live in different slots.
      for (const key of [
        pendingDeletionsKey,
        `${pendingDeletionsKey}:answered`,
        checksKey,
        panicStepsKey,
        restartNoticesKey,
        events.stream,
        // The engine's open counts of test/support/engine-access.ts.
        `${events.stream}:opens`,
        events.pending,
        audit.stream,
        audit.activityStream,
      ])
        await redis.del(key);
      await keyPairPool.stop();
      await redis.del(keyPairPoolKey);
      await Promise.all([...workers].map((worker) => worker.close()));
      await Promise.all([queue.obliterate({ force: true }), watchQueue.obliterate({ force: true })]);
      await Promise.all([queue.close(), watchQueue.close()]);
      await Promise.all([telegram.stop(), bybitSites.stop()]);
      queueConnection.disconnect();
      redis.disconnect();
    },
  };

  const workerApi = new Api(BOT_TOKEN, {
    apiRoot: telegramApiRoot,
    fetch: sendPath("background", { budget, logger, metrics }),
  });
  const startBot = () => {
    const { bot, shredder, recovery, routes } = createBot({
      ...services,
      token: BOT_TOKEN,
      telegramApiRoot,
      redis,
      sealer,
      clock,
      egressIps: options.egressIps ?? [],
      orderLinkIdPrefix: ORDER_LINK_ID_PREFIX,
      supportContact: options.supportContact ?? null,
      copyStartText: options.copyStartText ?? null,
      logger,
      metrics,
      budget,
      telegramLimits: options.telegramLimits,
      updateLimits: options.updateLimits,
      interruptedAfterMs: options.interruptedAfterMs ?? 3 * (options.recoveryBeatMs ?? CHECK_BEAT_MS),
      ...(options.recoveryBeatMs ? { recoveryBeatMs: options.recoveryBeatMs } : {}),
      shredderTiming: { leaseMs: 2000, sweepEveryMs: 200, ...options.shredderTiming },
      ...(options.web ? { web: options.web } : {}),
    });
    shredder.startSweeping();
    recovery.start();
    const runner: RunnerHandle = run(bot, { ...POLLING, runner: { ...POLLING.runner, fetch: { timeout: 1 } } });
    return { runner, shredder, recovery, routes };
  };
  let running = startBot();
  // One server for the run; each request goes to the routes of the bot running now (restarts make new ones).
  const server =
    running.routes.length === 0
      ? null
      : await startHttpServer({
          port: options.webPort ?? 0,
          logger,
          routes: running.routes.map((route) => ({
            ...route,
            handle: (request, response) =>
              running.routes
                .find((now) => now.method === route.method && now.path === route.path)!
                .handle(request, response),
          })),
        });
  harness.web = server ? { url: `http://127.0.0.1:${server.port}` } : null;
  if (server) closing.push(() => server.close());
  if (options.worker !== false) harness.startWorker();
  return harness;
}
