import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { CredentialStore } from "../vault/credential-store.js";
import { rescheduleAll, type Reminders } from "./reminders.js";

export interface ReconcileDeps {
  credentials: CredentialStore;
  reminders: Reminders;
  redis: Redis;
  logger: Logger;
  everyMs?: number;
}

const EVERY_MS = 10 * 60_000;
/** Held by whichever worker reconciles, so that several workers do it once per round between them. */
const LOCK_KEY = "reminders:reconcile-lock";

/**
 * At start and then every ten minutes, one worker compares every active key with its scheduled
 * reminders and schedules what is missing: a crash between storing a key and scheduling it, a
 * job that failed for good (Telegram down for longer than its retries), a job lost with a Redis
 * that lost writes. Reminders already delivered are left alone.
 */
export function startReconciling({ credentials, reminders, redis, logger, everyMs = EVERY_MS }: ReconcileDeps): { stop(): void } {
  const round = async () => {
    if ((await redis.set(LOCK_KEY, randomUUID(), "PX", Math.floor(everyMs / 2), "NX")) !== "OK") return;
    const count = await rescheduleAll(credentials, reminders);
    logger.info({ count }, "reminders checked for every connected key");
  };
  const run = () => round().catch((error: unknown) => logger.error({ err: error }, "could not check the reminders of connected keys"));
  void run();
  const timer = setInterval(run, everyMs).unref();
  return { stop: () => clearInterval(timer) };
}
