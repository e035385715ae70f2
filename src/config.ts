import { isIP } from "node:net";
import { z } from "zod";
import { checkOneRedis, commaList, ConfigError, isSafeEndpoint, redisTargetOf, storage } from "./config-storage.js";
import {
  baseUrl,
  exchangeEndpoints,
  exchangeEnvironment,
  exchangeSettings,
  sharedSiteHosts,
} from "./config-exchanges.js";
import { webEndpoints, webEnvironment, webIssues, webSettings, type OAuthSettings } from "./config-web.js";
import { webhookEnvironment, webhookIssues, webhookSettings } from "./config-webhook.js";
import type { ExchangeSettingsById } from "./exchange/registry.js";
import type { RedisTarget } from "./infra/redis.js";

export { ConfigError, configWarnings, loadOpsConfig, type OpsConfig } from "./config-storage.js";

/** The one description of the environment. Everything else receives a parsed `Config`. */
const environment = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    BOT_TOKEN: z
      .string({ error: "is required (the token @BotFather gave you)" })
      .regex(
        /^\d+:[A-Za-z0-9_-]{20,}$/,
        "is not a whole bot token: digits, a colon, then 20 or more letters, digits, _ or - (@BotFather: /mybots, API Token)",
      ),
    ...storage,
    TELEGRAM_API_ROOT: baseUrl("https://api.telegram.org"),
    ...exchangeEnvironment,
    ...webEnvironment,
    EGRESS_IPS: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const ips = commaList(value);
        for (const ip of ips) {
          if (isIP(ip) === 0) ctx.addIssue({ code: "custom", message: `"${ip}" is not an IP address` });
        }
        return ips;
      }),
    ROTATE_AFTER_DAYS: z.coerce.number().int().min(1).max(365).default(80),
    KEY_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(365).default(90),
    KEY_PAIR_POOL_SIZE: z.coerce.number().int().min(0).max(5_000).default(256),
    SUPPORT_CONTACT: z
      .string()
      .max(200, "must be at most 200 characters (it ends the last message of /panic)")
      .regex(
        /^(?:@[A-Za-z](?:[A-Za-z0-9_]{3,30})[A-Za-z0-9]|https:\/\/[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?)$/,
        "must be a Telegram username (@name) or an https:// URL",
      )
      .optional(),
    COPY_START_TEXT: z
      .string()
      .trim()
      .min(1)
      .max(300, 'must be at most 300 characters (it is one line of the "Connected" message)')
      .optional(),
    ORDER_LINK_ID_PREFIX: z.string().min(1).max(20).default("copytrade-"),
    ROLE: z.enum(["all", "bot", "worker"], { error: "must be all, bot or worker" }).default("all"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    DATA_DIR: z.string().min(1).default(".data"),
    REMINDER_LOCK_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
    REMINDER_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
    KEY_WATCH_EVERY_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
    SHUTDOWN_SECONDS: z.coerce.number().int().min(1).max(60).default(8),
    RECOVERY_BEAT_MS: z.coerce.number().int().min(200).max(60_000).default(5000),
    REDIS_START_WAIT_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
    PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9091),
    ...webhookEnvironment,
    TELEGRAM_MESSAGES_PER_SECOND: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000, "Telegram's paid broadcasts allow up to 1000")
      .default(27),
    BUDGET_ANSWER_WITHIN_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  })
  .superRefine((env, ctx) => {
    for (const [name, message] of webhookIssues(env)) ctx.addIssue({ code: "custom", path: [name], message });
    if (env.REMINDER_LEASE_SECONDS !== undefined && env.REMINDER_LEASE_SECONDS < env.REMINDER_LOCK_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["REMINDER_LEASE_SECONDS"],
        message: "must be at least REMINDER_LOCK_SECONDS",
      });
    }
    checkOneRedis(env, ctx);
    for (const message of sharedSiteHosts(env)) ctx.addIssue({ code: "custom", path: ["BYBIT_SITES"], message });
    for (const [name, message] of webIssues(env)) ctx.addIssue({ code: "custom", path: [name], message });
    if (env.NODE_ENV !== "production") return;
    if (env.SEAL_KEYS === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["SEAL_KEYS"],
        message: "is required in production (run `npm run keygen`)",
      });
    }
    if (redisTargetOf(env) === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["REDIS_URL"],
        message: "is required in production, or REDIS_CLUSTER_NODES (a local redis-server is for development only)",
      });
    }
    // Plain HTTP would carry the bot token and every signed exchange request in clear.
    const telegram: [string, string] = ["TELEGRAM_API_ROOT", env.TELEGRAM_API_ROOT];
    for (const [name] of [telegram, ...exchangeEndpoints(env), ...webEndpoints(env)].filter(
      ([, url]) => !isSafeEndpoint(url),
    )) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "must be https:// in production (http:// only on this machine: localhost, 127.0.0.1, ::1)",
      });
    }
  });

export type Environment = z.infer<typeof environment>;

export interface Config {
  production: boolean;
  botToken: string;
  /** The service's Redis or Redis Cluster; undefined: a local redis-server started in the data folder. */
  redis: RedisTarget | undefined;
  keyring: Environment["SEAL_KEYS"];
  telegramApiRoot: string;
  /**
   * How to reach each exchange. Bybit: BYBIT_BASE_URL (the global site), BYBIT_SITES (regional hosts),
   * BYBIT_TIMEOUT_MS, and BYBIT_REQUESTS_PER_5S, the requests the whole service makes in any 5 s, on
   * average (Bybit bans an IP past 600).
   */
  exchanges: ExchangeSettingsById;
  egressIps: string[];
  rotateAfterDays: number;
  keyMaxAgeDays: number;
  queuePrefix: string;
  /** Ready RSA key pairs kept sealed in Redis, so that "Make the key for me" answers at once. */
  keyPairPoolSize: number;
  orderLinkIdPrefix: string;
  /** Whom followers tell what happened after /panic; null leaves that line out. */
  supportContact: string | null;
  /** When copying starts, said on "Connected"; null says each language's default. */
  copyStartText: string | null;
  role: Environment["ROLE"];
  logLevel: Environment["LOG_LEVEL"];
  dataDir: string;
  /** How long a worker's hold on a reminder lasts: after a worker dies, its reminder goes out again this much later. */
  reminderLockSeconds: number;
  /** How long a reminder's claim holds against a second send: a Redis outage shorter than this sends no second copy. */
  reminderLeaseSeconds: number;
  /** How often the key watch reads each active key again from Bybit. */
  keyWatchEveryHours: number;
  /** A Redis not reached within this at start ends the process with one line (an outage later is waited out). */
  redisStartWaitSeconds: number;
  /** On SIGTERM, the process exits within this (docker stop waits 10 s, then kills). */
  shutdownSeconds: number;
  /**
   * How often a key check or /panic steps under way beat, and bot processes sweep for work a dead one
   * left: three missed beats mean cut short. Shorter in tests only; the default suits production.
   */
  recoveryBeatMs: number;
  /** Where a process that runs the bot serves health, metrics and (in webhook mode) the webhook; 0: any free port. */
  port: number;
  /** Where a worker-only process serves health and metrics. */
  metricsPort: number;
  /** What the bot may send in all chats together, every process counted: under Telegram's 30, unless the bot pays for more. */
  telegramMessagesPerSecond: number;
  /** How long the shared Telegram send budget may take to answer before sends are paced in the process instead. */
  budgetAnswerWithinMs: number;
  /** How long the audit trail keeps an entry, and how many it keeps at most. */
  audit: { retentionDays: number; maxEntries: number };
  /** The service's public https:// base URL (no trailing slash): the Mini App's pages and callbacks; null: none. */
  publicUrl: string | null;
  /** "Connect with Bybit" (OAuth for API brokers); null: off, and nothing of it shows. */
  oauth: OAuthSettings | null;
  /** Webhook mode, instead of long polling. */
  webhook: { url: string; secret: string; maxConnections: number } | null;
}

/** Parses the environment; throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  // `NAME=` in an .env file means "not set", as it does for docker compose.
  const parsed = environment.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== "")));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration. ${lines.join("; ")}`);
  }
  const e = parsed.data;
  return {
    production: e.NODE_ENV === "production",
    botToken: e.BOT_TOKEN,
    redis: redisTargetOf(e),
    keyring: e.SEAL_KEYS,
    telegramApiRoot: e.TELEGRAM_API_ROOT,
    exchanges: exchangeSettings(e),
    egressIps: e.EGRESS_IPS,
    rotateAfterDays: e.ROTATE_AFTER_DAYS,
    keyMaxAgeDays: e.KEY_MAX_AGE_DAYS,
    queuePrefix: e.QUEUE_PREFIX,
    keyPairPoolSize: e.KEY_PAIR_POOL_SIZE,
    orderLinkIdPrefix: e.ORDER_LINK_ID_PREFIX,
    supportContact: e.SUPPORT_CONTACT ?? null,
    copyStartText: e.COPY_START_TEXT ?? null,
    role: e.ROLE,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    shutdownSeconds: e.SHUTDOWN_SECONDS,
    recoveryBeatMs: e.RECOVERY_BEAT_MS,
    redisStartWaitSeconds: e.REDIS_START_WAIT_SECONDS,
    reminderLockSeconds: e.REMINDER_LOCK_SECONDS,
    reminderLeaseSeconds: e.REMINDER_LEASE_SECONDS ?? 20 * e.REMINDER_LOCK_SECONDS,
    keyWatchEveryHours: e.KEY_WATCH_EVERY_HOURS,
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    telegramMessagesPerSecond: e.TELEGRAM_MESSAGES_PER_SECOND,
    budgetAnswerWithinMs: e.BUDGET_ANSWER_WITHIN_MS,
    audit: { retentionDays: e.AUDIT_RETENTION_DAYS, maxEntries: e.AUDIT_MAX_ENTRIES },
    ...webSettings(e),
    webhook: webhookSettings(e),
  };
}

/** Every setting the schema reads, by name: `.env.example` and docker-compose.yml must name each (a test holds them). */
export const SETTING_NAMES: readonly string[] = Object.keys(environment.shape);
