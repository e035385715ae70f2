import { randomUUID } from "node:crypto";
import type { RedisClient } from "../infra/redis.js";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import type { CredentialRecord, CredentialStore } from "../stores/credential-store.js";
import { followerKeys } from "../infra/redis-keys.js";
import type { WatchFindings } from "../key-watch/findings.js";
import type { KeyWatchSchedule } from "../key-watch/worker.js";
import type { Reminders } from "../reminders/schedule.js";
import type { SharedKeys } from "../key-watch/shared-keys.js";

export interface ReconcileDeps {
  credentials: CredentialStore;
  reminders: Reminders;
  redis: RedisClient;
  /** The queue's prefix: the round's lock lives beside the queue. */
  prefix: string;
  logger: Logger;
  metrics: Metrics;
  /** Tells the follower their stored key must be connected again (Telegram, in production). */
  tellUnreadable(record: CredentialRecord): Promise<void>;
  /** The key watch: a key it took out of use whose notice is still owed (Telegram down past its retries) is looked at again. */
  watch?: { findings: WatchFindings; schedule: KeyWatchSchedule };
  /** One key, one follower: records each key in the holder index (keys stored before it existed), and settles a key found in two slots, or denied. */
  sharedKeys?: SharedKeys;
  everyMs?: number;
}

const EVERY_MS = 10 * 60_000;

/**
 * At start and then every ten minutes, one worker goes through every connected key:
 * - a key sealed with a keyring entry this process does not hold (retired too early, or not given
 *   to it yet) is marked `unreadable`, so nothing uses it; the operator gets one log line and a
 *   count; a round later, if it is still so, the follower one message asking to connect again. It
 *   goes back in use when it opens again. Nothing is decrypted to find out.
 * - a key the watch took out of use, whose follower has not heard of it yet, is looked at again.
 * - an active key whose Bybit id is denied, or found in another follower's slot too (data from before
 *   the holder index), is settled: denied, every copy frozen, each follower told. Every key is
 *   recorded in the holder index on the way.
 * - the rest get whatever reminder is missing (and active keys their watch): after a crash between storing a key and scheduling
 *   it, a job that failed for good (Telegram down for longer than its retries), a Redis that lost
 *   writes. Reminders already delivered are left alone.
 */
export function startReconciling(deps: ReconcileDeps): { stop(): void } {
  const { credentials, reminders, redis, logger } = deps;
  const everyMs = deps.everyMs ?? EVERY_MS;

  /** A key no keyring entry opens is out of use at once; counted and logged once, by the one round that moved it. */
  async function takeOutOfUse(record: CredentialRecord): Promise<void> {
    if (!(await credentials.moveStatus(record.userId, record.ref, "active", "unreadable"))) return;
    deps.metrics.unreadableRecords.inc();
    logger.error(
      { userId: record.userId, ref: record.ref },
      "a stored key is sealed with a keyring entry this process does not hold; it is out of use until the entry is back",
    );
  }

  /**
   * A key found unreadable in an earlier round: back in use if its entry is back (a keyring given
   * to one process before another), else the follower hears it, once, and not before a second
   * round confirms it: a restart with the right keyring usually comes first.
   */
  async function unreadableAgain(record: CredentialRecord, openable: boolean): Promise<void> {
    if (openable) {
      if (await credentials.moveStatus(record.userId, record.ref, "unreadable", "active")) {
        logger.warn(
          { userId: record.userId, ref: record.ref },
          "a key that could not be opened opens again; it is back in use",
        );
        await reminders.schedule({ ...record, status: "active" });
      }
      return;
    }
    const told = followerKeys(record.userId).unreadableNotice(record.ref);
    if (await redis.exists(told)) return;
    // Recorded only once sent: a failed send is tried again next round.
    await deps.tellUnreadable(record);
    await redis.set(told, "1", "EX", 90 * 86_400);
  }

  /** A shared or denied key is frozen everywhere; a failure here is logged, and the engine refuses a denied key meanwhile. */
  async function settledAsShared(record: CredentialRecord): Promise<boolean> {
    if (!deps.sharedKeys) return false;
    return deps.sharedKeys.inspect(record).catch((error: unknown) => {
      logger.warn({ err: error, userId: record.userId }, "could not check whether a key is held in another slot too");
      return false;
    });
  }

  async function round(): Promise<void> {
    // Held by whichever worker reconciles, so that several workers do it once per round between them.
    if ((await redis.set(`${deps.prefix}:reconcile-lock`, randomUUID(), "PX", Math.floor(everyMs / 2), "NX")) !== "OK")
      return;
    let scheduled = 0;
    for await (const record of credentials.all()) {
      if (await settledAsShared(record)) continue;
      const openable = await credentials.isOpenable(record.userId);
      if (record.status === "unreadable") {
        await unreadableAgain(record, openable).catch((error: unknown) =>
          logger.warn({ err: error, userId: record.userId }, "could not settle a key that could not be opened"),
        );
      } else if (record.status === "active" && !openable) {
        await takeOutOfUse(record);
      } else if (record.status === "active" || record.status === "expired") {
        // An expired key may still owe its expiry reminder, if that job failed for good.
        await reminders.schedule(record);
        scheduled += 1;
      }
      if (record.status !== "active" && deps.watch && (await deps.watch.findings.owed(record.userId, record.ref)))
        await deps.watch.schedule.lookNow([record]);
    }
    logger.info({ count: scheduled }, "reminders checked for every connected key");
  }

  const run = () =>
    round().catch((error: unknown) => logger.error({ err: error }, "could not check the reminders of connected keys"));
  void run();
  const timer = setInterval(run, everyMs).unref();
  return { stop: () => clearInterval(timer) };
}
