import { DelayedError, Queue, UnrecoverableError, Worker, type ConnectionOptions } from "bullmq";
import type { RedisClient } from "../infra/redis.js";
import type { Logger } from "pino";
import type { AuditTrail } from "../audit/trail.js";
import { reportingErrors } from "../infra/redis.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ReminderKind } from "../policy/rotation.js";
import type { CredentialRecord, CredentialStore } from "../stores/credential-store.js";
import { claimReminder } from "./claim.js";
import { REMINDER_QUEUE, type ReminderJob } from "./schedule.js";

/** How a reminder reaches the follower (Telegram, in production), reduced to what the worker must decide on. */
export type DeliveryOutcome =
  | { delivered: true }
  | { delivered: false; retryAfterMs: number }
  | { delivered: false; unreachable: true }
  | { delivered: false; transient: true };

export type DeliverReminder = (record: CredentialRecord, kind: ReminderKind) => Promise<DeliveryOutcome>;

export interface ReminderWorkerOptions {
  /** A connection with `maxRetriesPerRequest: null`, as BullMQ workers require. */
  connection: RedisClient;
  prefix: string;
  redis: RedisClient;
  credentials: CredentialStore;
  deliver: DeliverReminder;
  clock: () => number;
  logger: Logger;
  metrics: Metrics;
  /** Where each reminder sent is recorded. */
  audit: AuditTrail;
  /**
   * How long a worker holds a job (BullMQ's default, 30 s, unless told): a dead worker's job is
   * taken up again this much later.
   */
  lockDurationMs?: number;
  /** How long a reminder's claim holds against a second send (20 job locks unless told): see claimReminder. */
  leaseMs?: number;
}

/**
 * One job per 40 ms, globally across workers: Telegram allows about 30 messages a second,
 * and a {max: 30, duration: 1000} window would let 60 through around a window's edge.
 */
const LIMITER = { max: 1, duration: 40 };
const DEFAULT_LOCK_MS = 30_000;
/**
 * A claim outlasts a Redis outage of this many job locks (10 minutes by default): the attempt that
 * sent still records "sent" once Redis is back. The price: a worker that dies mid-send leaves its
 * reminder waiting this long before another attempt sends it.
 */
const LEASE_IN_LOCKS = 20;
const SENT_MARKER_TTL_SECONDS = 400 * 86_400;

export type ReminderResult = "sent" | "stale" | "duplicate";

/**
 * Sends due reminders, at least once per credential and kind. The attempt claims the reminder
 * with a lease before sending and turns the claim into "sent" right after, retrying that write
 * through a Redis outage until the lease ends. A second copy comes only if the process dies
 * between Telegram's answer and the "sent" record, or if Redis stays out of reach of that process
 * for longer than the lease. Two attempts never send at the same time; a crash before or during
 * the send leaves a lease that runs out, and the retry sends (again, if Telegram had taken the first).
 */
export function startReminderWorker(options: ReminderWorkerOptions): {
  worker: Worker<ReminderJob, ReminderResult>;
  close(): Promise<void>;
} {
  const { connection, prefix, redis, credentials, deliver, logger } = options;
  const lockMs = options.lockDurationMs ?? DEFAULT_LOCK_MS;
  const leaseMs = options.leaseMs ?? LEASE_IN_LOCKS * lockMs;
  const queue = new Queue<ReminderJob>(REMINDER_QUEUE, { connection: connection as ConnectionOptions, prefix });

  const worker = new Worker<ReminderJob, ReminderResult>(
    REMINDER_QUEUE,
    async (job, token) => {
      const reminder = job.data;
      const record = await credentials.current(reminder.userId);
      // An expiry reminder whose first attempt already marked the key expired is still this job's to deliver.
      const current = record?.status === "active" || (reminder.kind === "expiry" && record?.status === "expired");
      if (!record || record.ref !== reminder.ref || !current) return "stale";

      const claimed = await claimReminder(redis, reminder, leaseMs);
      if (!claimed.held && claimed.done) return "duplicate";
      if (!claimed.held) {
        // Held by another attempt: sending now, or waiting out a Redis outage to record "sent", or dead.
        // Look again when its lease ends (or sooner), without spending one of the job's attempts.
        await job.moveToDelayed(Date.now() + Math.min(claimed.waitMs + 100, lockMs), token);
        throw new DelayedError();
      }
      const { claim } = claimed;
      try {
        // An expired key must stop trading before anyone is told about it. Only an active key becomes
        // expired: one frozen meanwhile (the key watch) stays frozen, and its follower hears of that instead.
        if (
          reminder.kind === "expiry" &&
          !(await credentials.moveStatus(reminder.userId, reminder.ref, "active", "expired"))
        ) {
          if ((await credentials.current(reminder.userId))?.status !== "expired") {
            await claim.release();
            return "stale";
          }
        }
        const outcome = await deliver(record, reminder.kind);
        const answeredAt = Date.now();
        if (outcome.delivered) {
          await claim.record("sent", SENT_MARKER_TTL_SECONDS);
          await options.audit.record({
            type: "reminder-sent",
            userId: record.userId,
            ref: record.ref,
            name: record.name,
            maskedKey: record.maskedKey,
            details: { kind: reminder.kind },
            at: answeredAt,
          });
          return "sent";
        }
        if ("unreachable" in outcome) {
          await claim.record("unreachable", SENT_MARKER_TTL_SECONDS);
          await credentials.markUnreachable(reminder.userId, reminder.ref, options.clock());
          throw new UnrecoverableError("the follower blocked the bot");
        }
        await claim.release();
        if ("retryAfterMs" in outcome) {
          // Telegram's flood control: pause the whole queue for as long as it asks, without spending an attempt.
          await queue.rateLimit(outcome.retryAfterMs);
          throw Worker.RateLimitError();
        }
        throw new Error("Telegram did not take the reminder");
      } finally {
        claim.end();
      }
    },
    {
      connection: connection as ConnectionOptions,
      prefix,
      limiter: LIMITER,
      concurrency: 4,
      // A job whose worker dies mid-send stalls; BullMQ's default fails it after one stall, and a
      // reminder must survive a worker crashing again and again (the sent marker keeps it single).
      maxStalledCount: 50,
      lockDuration: lockMs,
      stalledInterval: lockMs,
    },
  );
  worker.on("completed", (job, result) => options.metrics.reminders.inc({ kind: job.data.kind, outcome: result }));
  worker.on("failed", (job, error) => {
    if (!job) return;
    options.metrics.reminders.inc({
      kind: job.data.kind,
      outcome: error instanceof UnrecoverableError ? "unreachable" : "failed",
    });
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
    if (final)
      logger.warn(
        { jobId: job.id, kind: job.data.kind, userId: job.data.userId, err: error },
        "reminder not delivered",
      );
  });
  reportingErrors(worker, "reminder worker", logger);
  reportingErrors(queue, "reminder queue (worker side)", logger);

  return {
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
