import { join } from "node:path";
import { run } from "@grammyjs/runner";
import { Redis } from "ioredis";
import { publishCommands } from "./bot/commands.js";
import { createBot } from "./bot/create-bot.js";
import { ConfigError, loadConfig } from "./config.js";
import { createBybitExchange } from "./exchange/bybit.js";
import { createLogger } from "./infra/logger.js";
import { startLocalRedis, type LocalRedis } from "./infra/local-redis.js";
import { createCredentialStore } from "./vault/credential-store.js";
import { loadOrCreateDevKeyring } from "./vault/dev-keyring.js";
import { createSealer } from "./vault/sealer.js";

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
const logger = createLogger({ level: config.logLevel, neverLog: [config.botToken] });

let localRedis: LocalRedis | undefined;
if (!config.redisUrl) {
  localRedis = await startLocalRedis({ dataDir: join(config.dataDir, "redis") }).catch((error: Error) => {
    logger.fatal(error.message);
    process.exit(1);
  });
  logger.info({ url: localRedis.url }, "REDIS_URL is not set: started a local redis-server with its data in the data folder");
}
const redis = new Redis(config.redisUrl ?? localRedis!.url);

let keyring = config.keyring;
if (!keyring) {
  const dev = loadOrCreateDevKeyring(config.dataDir);
  keyring = dev.keyring;
  logger.warn({ path: dev.path, created: dev.created }, "SEAL_KEYS is not set: using the development keyring file. Never do this in production.");
}
const sealer = createSealer(keyring);

const bot = createBot({
  token: config.botToken,
  telegramApiRoot: config.telegramApiRoot,
  redis,
  sealer,
  credentials: createCredentialStore(redis, sealer),
  exchange: createBybitExchange({ baseUrl: config.bybitBaseUrl, timeoutMs: config.bybitTimeoutMs }),
  clock: Date.now,
  egressIps: config.egressIps,
  rotateAfterDays: config.rotateAfterDays,
  logger,
});

await bot.init();
await publishCommands(bot.api).catch((error: unknown) => logger.warn({ err: error }, "could not publish the command menu"));
// Silent: the runner would print fetch errors, whose URLs hold the bot token; logApiFailures logs them scrubbed.
const runner = run(bot, { runner: { silent: true } });
logger.info({ bot: bot.botInfo.username }, "bot is running (long polling)");

async function shutdown(signal: string) {
  logger.info({ signal }, "shutting down");
  if (runner.isRunning()) await runner.stop();
  await redis.quit();
  await localRedis?.stop();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
