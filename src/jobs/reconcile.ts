import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import type { CredentialRecord, CredentialStore } from "../vault/credential-store.js";
import type { Reminders } from "./reminders.js";

export interface ReconcileDeps {
  credentials: CredentialStore;
  reminders: Reminders;
  redis: Redis;
  /** The queue's prefix: the round's lock lives beside the queue. */
  prefix: string;
  logger: Logger;
  metrics: Metrics;
  /** Tells the follower their stored key must be connected again (Telegram, in production). */
  tellUnreadable(record: CredentialRecord): Promise<void>;
  everyMs?: number;
}

const EVERY_MS = 10 * 60_000;

/**
 * At start and then every ten minutes, one worker goes through every active key:
 * - a key sealed with a keyring entry the service no longer holds (retired too early) is marked
 *   `unreadable`, so nothing uses it; the operator gets one log line and a count, the follower one
 *   message asking to connect it again. Nothing is decrypted to find out.
 * - the rest get whatever reminder is missing: after a crash between storing a key and scheduling
 *   it, a job that failed for good (Telegram down for longer than its retries), a Redis that lost
 *   writes. Reminders already delivered are left alone.
 */
export function startReconciling(deps: ReconcileDeps): { stop(): void } {
  const { credentials, reminders, redis, logger } = deps;
  const everyMs = deps.everyMs ?? EVERY_MS;

  async function reportUnreadable(record: CredentialRecord): Promise<void> {
    // The status moves once, so the report is made once.
    if (!(await credentials.setStatus(record.userId, record.ref, "unreadable"))) return;
    deps.metrics.unreadableRecords.inc();
    logger.error({ userId: record.userId, ref: record.ref }, "a stored key is sealed with a keyring entry that is gone; it is out of use and the follower is asked to connect it again");
    await deps.tellUnreadable(record).catch((error: unknown) => logger.warn({ err: error, userId: record.userId }, "could not tell the follower their key must be connected again"));
  }

  async function round(): Promise<void> {
    // Held by whichever worker reconciles, so that several workers do it once per round between them.
    if ((await redis.set(`${deps.prefix}:reconcile-lock`, randomUUID(), "PX", Math.floor(everyMs / 2), "NX")) !== "OK") return;
    let scheduled = 0;
    for await (const record of credentials.all()) {
      if (record.status !== "active") continue;
      if (!(await credentials.isOpenable(record.userId))) {
        await reportUnreadable(record);
        continue;
      }
      await reminders.schedule(record);
      scheduled += 1;
    }
    logger.info({ count: scheduled }, "reminders checked for every connected key");
  }

  const run = () => round().catch((error: unknown) => logger.error({ err: error }, "could not check the reminders of connected keys"));
  void run();
  const timer = setInterval(run, everyMs).unref();
  return { stop: () => clearInterval(timer) };
}
