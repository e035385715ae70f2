import { followerKeys } from "../infra/redis-keys.js";
import type { Queue } from "bullmq";
import type { RedisClient } from "../infra/redis.js";
import {
  isLateWarning,
  REMINDER_KINDS,
  reminderTimes,
  type ReminderKind,
  type ReminderTimes,
  type RotationRules,
} from "../policy/rotation.js";
import type { CredentialRecord } from "../stores/credential-store.js";

export const REMINDER_QUEUE = "reminders";

/** What a reminder job carries: who, which credential, which reminder. Never anything secret. */
export interface ReminderJob {
  userId: number;
  ref: string;
  kind: ReminderKind;
}

/** One job per credential and kind; BullMQ refuses ':' in custom ids. */
export const reminderJobId = (kind: ReminderKind, ref: string) => `${kind}-${ref}`;

/** Where the worker records that a reminder went out (next to the follower's other keys, for Redis Cluster). */
export const sentMarkerKey = ({ userId, ref, kind }: ReminderJob) => followerKeys(userId).reminderMarker(ref, kind);

/** Writes a marker and notes it in the follower's index, so that /forget finds it without SCAN. */
export async function writeMarker(
  redis: RedisClient,
  reminder: ReminderJob,
  value: string,
  expiry: ["PX" | "EX", number],
): Promise<void> {
  const keys = followerKeys(reminder.userId);
  await redis
    .multi()
    .set(sentMarkerKey(reminder), value, expiry[0] as "PX", expiry[1])
    .sadd(keys.reminderMarkers, `${reminder.ref}:${reminder.kind}`)
    .exec();
}

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/** Network trouble with Telegram is retried for about twenty minutes (5 s, 10 s, … 640 s), then the job lands in the failed set. */
const DEFAULT_RETRY: RetryPolicy = { attempts: 8, backoffMs: 5_000 };

/** A key's other scheduled job: the key watch, which looks at every active key once a cadence. */
export interface KeyWatching {
  /** `fresh`: the key was just stored under a new ref, so nothing of it is scheduled yet. */
  watch(record: CredentialRecord, options?: { fresh?: boolean }): Promise<void>;
  unwatch(ref: string): Promise<void>;
}

/** Looking at some keys out of their turn: what a freeze of shared copies asks of the key watch. */
export interface KeyLooks {
  /** Looks at these keys once, now, out of their turn (their requests still wait behind everyone else's); once per key while one waits. */
  lookNow(records: readonly { userId: number; ref: string }[]): Promise<void>;
}

/** Everything scheduled about one key: its reminders and, when given one, its watch. */
export interface Reminders {
  /**
   * Schedules the reminders of a credential (a due time in the past is sent at once, but a warning before
   * expiry whose time has passed is not) and watches it while active. Idempotent. `fresh`: the key
   * was just stored under a new ref (a connect), so it has no markers and no jobs yet: they are
   * added in one round trip instead of looked up one by one first (nine round trips a connect).
   */
  schedule(record: CredentialRecord, options?: { fresh?: boolean }): Promise<ReminderTimes>;
  /** Schedules anew after the key's dates moved: reminders not yet sent move to the new times. */
  reschedule(record: CredentialRecord): Promise<ReminderTimes>;
  /** Removes the reminders of a credential, and what they recorded, and its watch; a job already running or gone is not an error. */
  cancel(credential: { userId: number; ref: string }): Promise<void>;
}

export interface RemindersOptions {
  queue: Queue<ReminderJob>;
  /** For the sent markers. */
  redis: RedisClient;
  clock: () => number;
  rules: RotationRules;
  retry?: RetryPolicy;
  watching?: KeyWatching;
}

export function createReminders({
  queue,
  redis,
  clock,
  rules,
  retry = DEFAULT_RETRY,
  watching,
}: RemindersOptions): Reminders {
  const remove = async (kind: ReminderKind, ref: string) => {
    try {
      await queue.remove(reminderJobId(kind, ref));
    } catch {
      // Locked by a worker right now: the worker finds the credential replaced (or moved) and acts on what it finds.
    }
  };
  const reminders: Reminders = {
    async schedule(record, { fresh = false } = {}) {
      const times = reminderTimes(record, rules);
      const now = clock();
      const markers = fresh
        ? []
        : await redis.mget(
            REMINDER_KINDS.map((kind) => sentMarkerKey({ userId: record.userId, ref: record.ref, kind })),
          );
      const due = REMINDER_KINDS.filter(
        (kind, index) =>
          // Delivered, or the follower blocked the bot: nothing to schedule again.
          markers[index] !== "sent" &&
          markers[index] !== "unreachable" &&
          // An expired key still owes its expiry reminder (the worker marks it expired before sending); nothing else.
          (record.status === "active" || kind === "expiry") &&
          !isLateWarning(kind, times[kind], now),
      );
      if (!fresh)
        await Promise.all(
          due.map(async (kind) => {
            // A job that failed for good keeps its id for 30 days, and an add with that id would do nothing.
            const existing = await queue.getJob(reminderJobId(kind, record.ref));
            if (existing && (await existing.isFailed())) await existing.remove();
          }),
        );
      if (due.length > 0)
        await queue.addBulk(
          due.map((kind) => ({
            name: kind,
            data: { userId: record.userId, ref: record.ref, kind },
            opts: {
              jobId: reminderJobId(kind, record.ref),
              // Created "now" by our clock, so that timestamp + delay is exactly the due time.
              timestamp: now,
              delay: Math.max(0, times[kind] - now),
              attempts: retry.attempts,
              backoff: { type: "exponential", delay: retry.backoffMs },
              removeOnComplete: true,
              removeOnFail: { age: 30 * 86_400 },
            },
          })),
        );
      if (record.status === "active") await watching?.watch(record, { fresh });
      return times;
    },

    async reschedule(record) {
      await Promise.all(REMINDER_KINDS.map((kind) => remove(kind, record.ref)));
      return reminders.schedule(record);
    },

    async cancel({ userId, ref }) {
      await Promise.all(REMINDER_KINDS.map((kind) => remove(kind, ref)));
      await redis.del(...REMINDER_KINDS.map((kind) => sentMarkerKey({ userId, ref, kind })));
      await watching?.unwatch(ref);
    },
  };
  return reminders;
}
