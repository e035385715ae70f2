import { hostname } from "node:os";
import { join } from "node:path";
import { Api } from "grammy";
import { publishCommands } from "./bot/commands.js";
import { createBot } from "./bot/create-bot.js";
import { checkToken } from "./bot/start-up.js";
import { startTakingUpdates } from "./bot/intake-mode.js";
import { webhookHandler, webhookRoute, type WebhookHandler } from "./bot/webhook.js";
import { healthRoutes, metricsRoute, type Readiness } from "./http/health.js";
import type { Route } from "./http/routes.js";
import { startHttpServer } from "./http/server.js";
import { createReminderDelivery, createUnreadableNotice, createWatchNotice } from "./bot/reminder-delivery.js";
import { TELEGRAM_LIMITS } from "./bot/sending/budget.js";
import { sendPath } from "./bot/sending/send-path.js";
import { ConfigError, configWarnings, loadConfig } from "./config.js";
import { startEventRelay } from "./events/relay.js";
import { startLocalRedis, type LocalRedis } from "./infra/local-redis.js";
import { firstContact, redisWhere } from "./infra/redis-reach.js";
import { createLogger } from "./infra/logger.js";
import { connectRedis, warnUnlessNoEviction } from "./infra/redis.js";
import { retirementBrake, startKeyWatchWorker } from "./key-watch/worker.js";
import { startReminderWorker } from "./reminders/worker.js";
import { countJobs, createMetrics } from "./metrics/metrics.js";
import { collectProcessMetrics } from "./metrics/process-metrics.js";
import { startReconciling } from "./jobs/reconcile.js";
import { loadOrCreateDevKeyring } from "./vault/dev-keyring.js";
import { announceKeyring } from "./vault/keyring-presence.js";
import { createSealer } from "./vault/sealer.js";
import { buildServices } from "./services.js";
import { webFeatures } from "./bot/web/configured.js";
import { publishMenuButton } from "./bot/web/mini-app/index.js";

/** A start that cannot go on: one plain line for the operator (JSON logs are for running), then exit 1. */
function cannotStart(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

function loadConfigOrExit() {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = loadConfigOrExit();
const logger = createLogger({
  level: config.logLevel,
  neverLog: [
    config.botToken,
    ...(config.webhook ? [config.webhook.secret] : []),
    ...(config.oauth ? [config.oauth.clientSecret] : []),
  ],
});
// Whatever escapes goes through the scrubbing logger, never Node's own printout (a grammY error holds the request).
process.on("uncaughtException", (error) => {
  logger.fatal({ err: error }, "unexpected error; exiting");
  process.exit(1);
});
process.on("unhandledRejection", (error) => {
  logger.fatal({ err: error }, "unexpected error; exiting");
  process.exit(1);
});
for (const warning of configWarnings(config)) logger.warn(warning);

// Before anything starts: a refused token ends here, with one line and nothing left running.
const tokenCheck = await checkToken(config.botToken, config.telegramApiRoot, logger);
if (!tokenCheck.ok) cannotStart(tokenCheck.line);

let localRedis: LocalRedis | undefined;
if (!config.redis) {
  localRedis = await startLocalRedis({ dataDir: join(config.dataDir, "redis") }).catch((error: Error) =>
    cannotStart(error.message),
  );
  logger.info(
    { url: localRedis.url },
    "REDIS_URL is not set: started a local redis-server with its data in the data folder",
  );
}
const redisTarget = config.redis ?? { url: localRedis!.url };
const redis = connectRedis(redisTarget, logger);
logger.info({ redis: redisWhere(redisTarget) }, "connecting to Redis");
// A Redis never reached at start is a setting to fix: one line naming where, then exit (an orchestrator restarts us).
const reached = await firstContact(redis.main, redisTarget, config.redisStartWaitSeconds * 1000);
if (!reached.ok) cannotStart(reached.line);
await warnUnlessNoEviction(redis.main, logger);

let keyring = config.keyring;
if (!keyring) {
  const dev = loadOrCreateDevKeyring(config.dataDir);
  keyring = dev.keyring;
  logger.warn(
    { path: dev.path, created: dev.created },
    "SEAL_KEYS is not set: using the development keyring file. Never do this in production.",
  );
}
const sealer = createSealer(keyring);
// So that `npm run ops -- rewrap` knows what this process can open and seals with.
const keyringPresence = announceKeyring(redis.main, keyring, `${config.role}@${hostname()}:${process.pid}`);
const metrics = createMetrics();
const telegramLimits = {
  ...TELEGRAM_LIMITS,
  allChats: { ...TELEGRAM_LIMITS.allChats, intervalMs: 1000 / config.telegramMessagesPerSecond },
};
collectProcessMetrics(metrics.registry);
const services = buildServices(config, { redis, sealer, logger, metrics, clock: Date.now });
const {
  credentials,
  reminders,
  reminderQueue,
  watchQueue,
  watchSchedule,
  sharedKeys,
  languages,
  audit,
  telegramBudget,
} = services;
countJobs(metrics, [reminderQueue, watchQueue]);
/** On shutdown, first everything that takes work in stops at once (the work in flight finishes); then the rest, in order. */
const intake: (() => Promise<unknown>)[] = [];
const cleanup: (() => Promise<unknown>)[] = [];
/** What /readyz checks: Redis answers, and each worker of this process runs. */
const readiness: Readiness[] = [{ name: "redis", check: async () => (await redis.main.ping()) === "PONG" }];
/** Starts taking updates (polling, or setWebhook once the HTTP server answers). */
let takeUpdates: (() => Promise<void>) | undefined;
let webhook: { path: string; handle: WebhookHandler } | undefined;
/** The pages and callbacks of the bot's web features (Connect with Bybit, the Mini App), where configured. */
let botRoutes: Route[] = [];
/** Just before the shutdown bound: what is still in hand is told "restarted, send it again" by the next process. */
let atDeadline: (() => Promise<void>) | undefined;

if (config.role !== "worker") {
  const { keyPairPool } = services;
  keyPairPool.startRefilling();
  const { bot, shredder, recovery, inFlight, ...parts } = createBot({
    ...services,
    token: config.botToken,
    telegramApiRoot: config.telegramApiRoot,
    redis: redis.main,
    sealer,
    clock: Date.now,
    egressIps: config.egressIps,
    orderLinkIdPrefix: config.orderLinkIdPrefix,
    supportContact: config.supportContact,
    copyStartText: config.copyStartText,
    logger,
    metrics,
    budget: telegramBudget,
    recoveryBeatMs: config.recoveryBeatMs,
    interruptedAfterMs: 3 * config.recoveryBeatMs,
    botInfo: tokenCheck.me,
    telegramLimits,
    updatesComeAgain: config.webhook !== null,
    web: webFeatures(config),
  });
  atDeadline = parts.atDeadline;
  botRoutes = parts.routes;
  shredder.startSweeping();
  recovery.start();
  // In the background: through a Telegram outage it is retried for minutes, and intake must not wait for it.
  void publishCommands(bot.api).catch((error: unknown) =>
    logger.warn({ err: error }, "could not publish the command menu"),
  );
  if (config.publicUrl !== null)
    void publishMenuButton(bot.api, config.publicUrl).catch((error: unknown) =>
      logger.warn({ err: error }, "could not set the menu button to the Mini App"),
    );
  cleanup.push(
    () => shredder.stop(),
    async () => recovery.stop(),
    () => keyPairPool.stop(),
  );
  if (config.webhook)
    webhook = {
      path: new URL(config.webhook.url).pathname,
      handle: webhookHandler(bot, config.webhook, metrics, logger),
    };
  takeUpdates = () =>
    startTakingUpdates(bot, {
      webhook: config.webhook,
      idle: inFlight.idle,
      intakeHealthy: parts.intakeHealthy,
      logger,
      intake,
      readiness,
    });
}

if (config.role !== "bot") {
  const api = new Api(config.botToken, {
    apiRoot: config.telegramApiRoot,
    fetch: sendPath("background", { budget: telegramBudget, logger, metrics, telegramLimits }),
  });
  const workerConnection = redis.worker();
  const worker = startReminderWorker({
    connection: workerConnection,
    prefix: config.queuePrefix,
    redis: redis.main,
    credentials,
    deliver: createReminderDelivery(api, Date.now, languages, services.rotation),
    clock: Date.now,
    logger,
    metrics,
    audit,
    lockDurationMs: config.reminderLockSeconds * 1000,
    leaseMs: config.reminderLeaseSeconds * 1000,
  });
  const { findings, denylist, exchanges } = services;
  const watcher = startKeyWatchWorker({
    connection: workerConnection,
    prefix: config.queuePrefix,
    credentials,
    findings,
    exchanges,
    reminders,
    schedule: watchSchedule,
    denylist,
    sharedKeys,
    tell: createWatchNotice(api, languages),
    clock: Date.now,
    rotateAfterDays: config.rotateAfterDays,
    mayRetire: retirementBrake(services.budget),
    logger,
    metrics,
  });
  const relay = startEventRelay({ redis: redis.main, logger, audit });
  readiness.push(
    { name: "reminder worker", check: async () => worker.worker.isRunning() },
    { name: "key watch", check: async () => watcher.worker.isRunning() },
  );
  // Waits for the reminder and the key looks in flight, if any, before letting go of Redis.
  intake.push(
    () => worker.close(),
    () => watcher.close(),
    () => relay.stop(),
  );
  cleanup.push(() => workerConnection.quit());
  logger.info("reminder worker, key watch and event relay are running");
  const reconciling = startReconciling({
    credentials,
    reminders,
    redis: redis.main,
    prefix: config.queuePrefix,
    logger,
    metrics,
    tellUnreadable: createUnreadableNotice(api, languages),
    watch: { findings, schedule: watchSchedule },
    sharedKeys,
  });
  cleanup.unshift(async () => reconciling.stop());
}

// One HTTP server: health and metrics everywhere, the webhook where the bot takes updates by webhook.
const port = config.role === "worker" ? config.metricsPort : config.port;
const routes = [
  ...healthRoutes(readiness),
  metricsRoute(metrics.registry),
  ...(webhook ? [webhookRoute(webhook.path, webhook.handle)] : []),
  ...botRoutes,
];
const httpServer = await startHttpServer({ port, routes, logger }).catch((error: NodeJS.ErrnoException) => {
  const setting = config.role === "worker" ? "METRICS_PORT" : "PORT";
  cannotStart(`cannot serve HTTP on port ${port} (${error.code ?? error.name}): set ${setting} to a free port`);
});
await takeUpdates?.();
// Stops taking updates with the rest of the intake; /livez and /readyz go with it.
intake.push(() => httpServer.close());

/** How long before the bound the updates still in hand are written down: a Redis write, with room. */
const DEADLINE_MARGIN_MS = 500;
let shuttingDown = false;
async function shutdown(signal: string) {
  // A second signal (Ctrl-C, then docker stop) while stopping changes nothing: the bound below still holds.
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal, boundSeconds: config.shutdownSeconds }, "shutting down");
  // Under docker stop's 10-second grace: past the bound, exit rather than be killed mid-write.
  setTimeout(() => {
    logger.error({ boundSeconds: config.shutdownSeconds }, "shutdown took too long; exiting now");
    process.exit(1);
  }, config.shutdownSeconds * 1000).unref();
  const writeDown = () =>
    void atDeadline?.().catch((error: unknown) => logger.warn({ err: error }, "could not record the updates in hand"));
  setTimeout(writeDown, Math.max(0, config.shutdownSeconds * 1000 - DEADLINE_MARGIN_MS)).unref();
  await Promise.all(intake.map((stop) => stop()));
  for (const stop of cleanup) await stop();
  await keyringPresence.stop();
  await services.close();
  await Promise.all([redis.main.quit(), redis.queue.quit()]);
  await localRedis?.stop();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
