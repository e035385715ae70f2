import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * What the service counts. Labels name kinds of things (a method, an outcome), never a
 * follower, a chat or anything from a message. Served over HTTP by the service (issue 14);
 * one registry per process, passed in, so that tests read their own.
 */
export function createMetrics(registry = new Registry()) {
  return {
    registry,
    credentialDeletions: new Counter({
      name: "telegram_credential_deletions_total",
      help: "Messages holding a credential, by how their deletion ended: deleted, refused by Telegram, or given up after the deadline.",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    deletionRetries: new Counter({
      name: "telegram_credential_deletion_retries_total",
      help: "Deletion attempts repeated after a 429, a 5xx or a network error.",
      registers: [registry],
    }),
    restartNotices: new Counter({
      name: "bot_restart_notices_total",
      help:
        "Followers told that a restart cut their update short, by what: credential (a pasted key deleted by the sweeper, " +
        "never answered), in-hand (an update still handled at the shutdown deadline), panic-steps (the /panic steps sent again).",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    telegramFailures: new Counter({
      name: "telegram_api_failures_total",
      help: "Bot API calls that failed for good, after retries, by method and error code (0: network).",
      labelNames: ["method", "code"] as const,
      registers: [registry],
    }),
    unreadableRecords: new Counter({
      name: "vault_unreadable_records_total",
      help: "Stored keys found sealed with a keyring entry the service no longer holds (each counted once, when taken out of use).",
      registers: [registry],
    }),
    keyWatch: new Counter({
      name: "key_watch_looks_total",
      help: "Keys the key watch looked at, by outcome: fine, refused (frozen), gone (deleted in the exchange), expired, unanswered (the exchange gave no usable answer), held-back (too many keys failing at once), stale, not-active, shared (denied, or in another slot too: every copy frozen).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    keyWatchFailures: new Counter({
      name: "key_watch_failures_total",
      help: "Key watch jobs that failed after all their retries (the exchange or Telegram unavailable); the key is looked at again at its next turn.",
      registers: [registry],
    }),
    connects: new Counter({
      name: "connects_total",
      help: "Key checks of /connect and /rotate, by outcome: accepted, or the reason for a refusal (a policy reason, exchange-<failure>, denied, shared-key (connected by another follower), same-key, held, pair-expired, panicked, save-failed); a refusal with several reasons counts each.",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    panics: new Counter({
      name: "panics_total",
      help: "/panic steps, by outcome: frozen, no-key, raced, revoked-verified, forgotten-unverified, still-active, verify-failed.",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    reminders: new Counter({
      name: "reminders_total",
      help: "Reminder attempts, by kind and outcome: sent, stale, duplicate, unreachable, failed (will be retried, or failed for good).",
      labelNames: ["kind", "outcome"] as const,
      registers: [registry],
    }),
    exchangeRequests: new Histogram({
      name: "exchange_request_seconds",
      help: "Requests to an exchange, from sending to the answer (after the budget's wait), by exchange and outcome: ok, or a failure (invalid-key, timeout, unavailable, ...).",
      labelNames: ["exchange", "outcome"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    credentialExposure: new Histogram({
      name: "credential_exposure_seconds",
      help: "From a credential message reaching the bot to its deletion request being sent.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    webhookRefused: new Counter({
      name: "webhook_refused_total",
      help: "Webhook requests without the right secret token, refused with 401 (forged, or replicas that disagree on WEBHOOK_SECRET).",
      registers: [registry],
    }),
    budgetFallbacks: new Counter({
      name: "telegram_budget_fallbacks_total",
      help: "Questions to the shared Telegram send budget that Redis refused or answered too slowly (sends then paced in the process).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    updatesDropped: new Counter({
      name: "telegram_updates_dropped_total",
      help: "Updates dropped: over a follower's (or group's) rate limit, or over a chat's backlog in this process.",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Job counts of BullMQ queues, read when Prometheus scrapes. */
export function countJobs(
  metrics: Metrics,
  queues: { name: string; getJobCounts(...states: string[]): Promise<Record<string, number>> }[],
): void {
  const states = ["waiting", "delayed", "active", "failed", "prioritized"];
  new Gauge({
    name: "bullmq_jobs",
    help: "Jobs in each BullMQ queue, by state.",
    labelNames: ["queue", "state"] as const,
    registers: [metrics.registry],
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...states);
        for (const state of states) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
}
