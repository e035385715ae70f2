// The composition root: the one place where the service's parts are made and wired together, for
// `src/main.ts` and for the tests alike. A process then starts the roles it runs (bot, workers)
// from these parts; nothing here starts anything or talks to the network until asked.
import { Queue } from "bullmq";
import type { Logger } from "pino";
import { createAuditTrail, type AuditTrail } from "./audit/trail.js";
import { createPendingDeletions, type PendingDeletions } from "./bot/intake/pending-deletions.js";
import { createRestartNotices, type RestartNotices } from "./bot/tell-unanswered.js";
import { createExchangeBudget } from "./budget/exchange-budget.js";
import { withLocalFallback } from "./budget/local-budget.js";
import { askRedis, createRateBudget, type RateBudget } from "./budget/rate-budget.js";
import type { Config } from "./config.js";
import { createEventOutbox, eventKeys, type EventKeys, type EventOutbox } from "./events/outbox.js";
import { connectExchanges, type Exchanges } from "./exchange/registry.js";
import { reportingErrors, type RedisClient } from "./infra/redis.js";
import { createWatchFindings, type WatchFindings } from "./key-watch/findings.js";
import { createSharedKeys, type SharedKeys } from "./key-watch/shared-keys.js";
import { createKeyWatchSchedule, KEY_WATCH_QUEUE, type KeyWatchSchedule, type WatchJob } from "./key-watch/worker.js";
import type { Metrics } from "./metrics/metrics.js";
import { FLOW_LIFETIME_SECONDS } from "./policy/flows.js";
import type { RotationRules } from "./policy/rotation.js";
import {
  createReminders,
  REMINDER_QUEUE,
  type ReminderJob,
  type Reminders,
  type RetryPolicy,
} from "./reminders/schedule.js";
import { createChecksUnderWay, type ChecksUnderWay } from "./stores/checks.js";
import { createCredentialStore, type CredentialStore } from "./stores/credential-store.js";
import { createKeyDenylist, type KeyDenylist } from "./stores/denylist.js";
import { createFollowerLanguages, type FollowerLanguages } from "./stores/follower-language.js";
import { createFollowerStore, type FollowerStore } from "./stores/follower-store.js";
import {
  createKeyPairPool,
  createPendingKeyPairs,
  type KeyPairPool,
  type PendingKeyPairs,
} from "./stores/key-pairs.js";
import { createIncidents, type Incidents } from "./stores/incident.js";
import { createPanicStepsOwed, type PanicStepsOwed } from "./stores/panic-steps.js";
import { createPanicStore, type PanicStore } from "./stores/panic-store.js";
import { createWebTickets, type WebTickets } from "./stores/web-tickets.js";
import type { Sealer } from "./vault/sealer.js";

/** What the parts are made of: the process's connections, keyring, log, metrics and clock. */
export interface Foundations {
  redis: { main: RedisClient; queue: RedisClient };
  sealer: Sealer;
  logger: Logger;
  metrics: Metrics;
  clock: () => number;
}

/** The settings the parts read: the service's own, or a test's. */
export type ServiceSettings = Pick<
  Config,
  | "queuePrefix"
  | "rotateAfterDays"
  | "keyMaxAgeDays"
  | "exchanges"
  | "keyWatchEveryHours"
  | "keyPairPoolSize"
  | "budgetAnswerWithinMs"
  | "audit"
>;

/**
 * Where the parts keep their Redis keys, when not where production keeps them: tests that share one
 * Redis each take a namespace of their own. Production passes none.
 */
export interface Namespaces {
  budgetPrefix?: string;
  events?: EventKeys;
  auditStream?: string;
  pendingDeletions?: string;
  checksUnderWay?: string;
  keyPairPool?: string;
  panicSteps?: string;
  restartNotices?: string;
}

export interface ServiceOverrides {
  namespaces?: Namespaces;
  /** How reminder sends are retried (production: about twenty minutes). */
  reminderRetry?: RetryPolicy;
}

export interface Services {
  /** The shared Telegram and exchange budget in Redis, as it is (no fallback): what the exchanges' budgets count in. */
  budget: RateBudget;
  /** What the bot's sends take their turn in: the shared budget, paced in the process through a Redis fault. */
  telegramBudget: RateBudget;
  /** Every exchange, each behind its own request budget; a stored key names its own. */
  exchanges: Exchanges;
  eventKeys: EventKeys;
  events: EventOutbox;
  audit: AuditTrail;
  credentials: CredentialStore;
  followers: FollowerStore;
  languages: FollowerLanguages;
  panics: PanicStore;
  denylist: KeyDenylist;
  rotation: RotationRules;
  reminderQueue: Queue<ReminderJob>;
  watchQueue: Queue<WatchJob>;
  watchSchedule: KeyWatchSchedule;
  reminders: Reminders;
  sharedKeys: SharedKeys;
  findings: WatchFindings;
  checksUnderWay: ChecksUnderWay;
  pendingDeletions: PendingDeletions;
  panicSteps: PanicStepsOwed;
  /** The operator's freeze-all, and the notices it owes. */
  incidents: Incidents;
  restartNotices: RestartNotices;
  /** Ready key pairs; refilled only where a process calls `startRefilling` (one that runs the bot). */
  keyPairPool: KeyPairPool;
  pendingKeyPairs: PendingKeyPairs;
  /** One-time tickets tying a web request (OAuth redirect, Mini App form) to a follower's flow. */
  webTickets: WebTickets;
  /** Closes the queues (the connections are the caller's). */
  close(): Promise<void>;
}

export function buildServices(
  settings: ServiceSettings,
  base: Foundations,
  overrides: ServiceOverrides = {},
): Services {
  const { redis, sealer, logger, metrics, clock } = base;
  const names = overrides.namespaces ?? {};
  const budget = createRateBudget(redis.main, names.budgetPrefix);
  const telegramBudget = withLocalFallback(askRedis(redis.main, names.budgetPrefix), {
    answerWithinMs: settings.budgetAnswerWithinMs,
    fellBack: (reason) => metrics.budgetFallbacks.inc({ reason }),
  });
  const exchanges = connectExchanges(
    settings.exchanges,
    (id, requestsPer5s) => createExchangeBudget(budget, id, requestsPer5s),
    (exchange, seconds, outcome) => metrics.exchangeRequests.observe({ exchange, outcome }, seconds),
  );
  const keys = names.events ?? eventKeys();
  const events = createEventOutbox(redis.main, keys);
  const audit = createAuditTrail(redis.main, {
    ...settings.audit,
    logger,
    ...(names.auditStream ? { stream: names.auditStream } : {}),
  });
  const credentials = createCredentialStore(redis.main, sealer, events, audit);
  const denylist = createKeyDenylist(redis.main);
  const rotation = { rotateAfterDays: settings.rotateAfterDays, keyMaxAgeDays: settings.keyMaxAgeDays };
  const queueOptions = { connection: redis.queue, prefix: settings.queuePrefix };
  const reminderQueue = reportingErrors(new Queue<ReminderJob>(REMINDER_QUEUE, queueOptions), "reminder queue", logger);
  const watchQueue = reportingErrors(new Queue<WatchJob>(KEY_WATCH_QUEUE, queueOptions), "key watch queue", logger);
  const watchSchedule = createKeyWatchSchedule(watchQueue, settings.keyWatchEveryHours * 3_600_000);
  const reminders = createReminders({
    queue: reminderQueue,
    redis: redis.main,
    clock,
    rules: rotation,
    watching: watchSchedule,
    ...(overrides.reminderRetry ? { retry: overrides.reminderRetry } : {}),
  });
  const sharedKeys = createSharedKeys({ redis: redis.main, denylist, reminders, looks: watchSchedule, events, logger });
  const keyPairPool = createKeyPairPool({
    redis: redis.main,
    sealer,
    size: settings.keyPairPoolSize,
    logger,
    ...(names.keyPairPool ? { key: names.keyPairPool } : {}),
  });
  return {
    budget,
    telegramBudget,
    exchanges,
    eventKeys: keys,
    events,
    audit,
    credentials,
    followers: createFollowerStore(redis.main, events),
    languages: createFollowerLanguages(redis.main),
    panics: createPanicStore(redis.main, sealer, events),
    denylist,
    rotation,
    reminderQueue,
    watchQueue,
    watchSchedule,
    reminders,
    sharedKeys,
    findings: createWatchFindings(redis.main, events),
    checksUnderWay: createChecksUnderWay(redis.main, names.checksUnderWay),
    pendingDeletions: createPendingDeletions(redis.main, names.pendingDeletions),
    panicSteps: createPanicStepsOwed(redis.main, names.panicSteps),
    incidents: createIncidents(redis.main),
    restartNotices: createRestartNotices(redis.main, names.restartNotices),
    keyPairPool,
    pendingKeyPairs: createPendingKeyPairs(redis.main, sealer, keyPairPool, FLOW_LIFETIME_SECONDS),
    webTickets: createWebTickets(redis.main),
    async close() {
      await Promise.all([reminderQueue.close(), watchQueue.close()]);
    },
  };
}
