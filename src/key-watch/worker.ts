import { createHash } from "node:crypto";
import { type Queue, Worker, type ConnectionOptions, type JobsOptions } from "bullmq";
import type { RedisClient } from "../infra/redis.js";
import type { Logger } from "pino";
import type { RateBudget } from "../budget/rate-budget.js";
import type { Exchanges } from "../exchange/registry.js";
import { reportingErrors } from "../infra/redis.js";
import type { Metrics } from "../metrics/metrics.js";
import { MONEY_REASONS } from "../policy/key-policy.js";
import { judgeWatchedKey, type WatchVerdict } from "../policy/key-watch.js";
import type { CredentialRecord, CredentialStore } from "../stores/credential-store.js";
import type { KeyDenylist } from "../stores/denylist.js";
import type { WatchFindings, WatchNotice } from "./findings.js";
import type { DeliveryOutcome } from "../reminders/worker.js";
import type { KeyLooks, KeyWatching, Reminders } from "../reminders/schedule.js";
import type { SharedKeys } from "./shared-keys.js";

export const KEY_WATCH_QUEUE = "key-watch";

/** Which key to look at. Never anything secret. */
export interface WatchJob {
  userId: number;
  ref: string;
}

const schedulerId = (ref: string) => `watch-${ref}`;
/** Longer than any send through the background lane, which gives way to replies. */
const NOTICE_CLAIM_MS = 60_000;

/**
 * Bybit unanswered, or Telegram refusing the notice: asked again after 1, 2, 4 and 8 minutes,
 * then at the key's next turn (a notice stays owed until it goes out).
 */
const JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 60_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 86_400 },
};

/**
 * Where in each cadence a key's turn falls: by a hash of its ref, so the keys are spread evenly
 * over the day whenever they were connected (10,000 keys at the daily default: one every 8.6 s
 * on average), and a key keeps its moment across restarts.
 */
export function watchOffset(ref: string, everyMs: number): number {
  return (createHash("sha256").update(ref).digest().readUIntBE(0, 6) % (everyMs - 1)) + 1;
}

export interface KeyWatchSchedule extends KeyWatching, KeyLooks {}

/** One BullMQ job scheduler per watched key, every `everyMs`, at the key's own offset. */
export function createKeyWatchSchedule(queue: Queue<WatchJob>, everyMs: number): KeyWatchSchedule {
  return {
    async watch({ userId, ref }, { fresh = false } = {}) {
      const offset = watchOffset(ref, everyMs);
      // Upserting moves the next turn: a key already watched at this cadence keeps its own.
      const existing = fresh ? undefined : await queue.getJobScheduler(schedulerId(ref));
      if (existing?.every === everyMs && existing.offset === offset) return;
      await queue.upsertJobScheduler(
        schedulerId(ref),
        { every: everyMs, offset },
        { name: "watch", data: { userId, ref }, opts: JOB_OPTIONS },
      );
    },
    async unwatch(ref) {
      await queue.removeJobScheduler(schedulerId(ref));
    },
    async lookNow(records) {
      await queue.addBulk(
        records.map(({ userId, ref }) => ({
          name: "look",
          data: { userId, ref },
          opts: { ...JOB_OPTIONS, deduplication: { id: `look-${ref}` } },
        })),
      );
    },
  };
}

/** `shared`: the key is denied, or held in another slot too: every copy was frozen, without asking Bybit. */
export type WatchResult = WatchVerdict["verdict"] | "expired" | "stale" | "not-active" | "shared";

/** Keys the watch may take out of use, across every worker: 20 at once, then one a minute. */
const RETIREMENTS = { intervalMs: 60_000, toleranceMs: 19 * 60_000 };
export const retirementBrake = (budget: RateBudget) => async () =>
  (await budget.tryTake([{ key: "{key-watch}:retirements", ...RETIREMENTS }])) === 0;

export interface KeyWatchDeps {
  /** A connection with `maxRetriesPerRequest: null`, as BullMQ workers require. */
  connection: RedisClient;
  prefix: string;
  credentials: CredentialStore;
  findings: WatchFindings;
  /** Each key is read from its own exchange. */
  exchanges: Pick<Exchanges, "of">;
  reminders: Reminders;
  schedule: KeyWatchSchedule;
  denylist: KeyDenylist;
  /** A denied key, or one in two slots, never stays active; a key frozen here takes every other copy with it. */
  sharedKeys: SharedKeys;
  /** Tells the follower what the watch found (Telegram, in production). */
  tell(record: CredentialRecord, notice: WatchNotice): Promise<DeliveryOutcome>;
  clock: () => number;
  rotateAfterDays: number;
  /**
   * Whether the watch may take one more key out of use now: a brake, shared by every worker, on a
   * wave of freezes (a wrong BYBIT_BASE_URL, an incident at Bybit, a permission value Bybit starts
   * sending for every key), which must not freeze or deny every follower's key at once.
   */
  mayRetire(): Promise<boolean>;
  logger: Logger;
  metrics: Metrics;
  /** Keys looked at in parallel by this worker; Bybit's budget paces them all the same. */
  concurrency?: number;
}

/**
 * The key watch: at its turn, each active key is read again from Bybit (query-api alone, behind
 * /panic and key checks in the budget) and judged by the same policy as at connect:
 * - still fine: its facts are stored anew; a moved expiry moves its reminders.
 * - refused now: out of use at once (frozen, its reminders and watch gone, and denied for good
 *   when it can move money, as /panic does), then the follower hears what changed and the fix.
 * - deleted in Bybit: marked so, reminders gone, the follower told once. Expired early: marked
 *   expired as of now, and its expiry reminder goes out now (the reminder worker says it).
 * - no answer: nothing changes; asked again with backoff, and at its next turn.
 * A notice is owed from the same write that took the key out of use, and stays owed until it
 * went out: a crash in between, or Telegram down, delays it and never loses it.
 */
export function startKeyWatchWorker(deps: KeyWatchDeps): {
  worker: Worker<WatchJob, WatchResult>;
  close(): Promise<void>;
} {
  const { credentials, findings, reminders, logger } = deps;

  /** Reminders moved to a key's new dates; a key replaced meanwhile gets none back. */
  async function moveReminders(record: CredentialRecord): Promise<void> {
    await reminders.reschedule(record);
    if ((await credentials.current(record.userId))?.ref !== record.ref) await reminders.cancel(record);
  }

  async function apply(record: CredentialRecord, verdict: WatchVerdict): Promise<WatchResult> {
    const { userId, ref } = record;
    if ((verdict.verdict === "refused" || verdict.verdict === "gone") && !(await deps.mayRetire())) {
      deps.metrics.keyWatch.inc({ outcome: "held-back" });
      logger.error(
        { userId, ref, verdict: verdict.verdict },
        "the key watch is holding back: more keys fail than is plausible at once; check BYBIT_BASE_URL and Bybit's status",
      );
      throw new Error("too many keys taken out of use at once; asking again later");
    }
    switch (verdict.verdict) {
      case "fine":
        if ((await findings.refresh(userId, ref, verdict.facts)) && verdict.expiryMoved)
          await moveReminders({ ...record, expiresAt: verdict.facts.expiresAt });
        return "fine";
      case "refused": {
        // Denied before it is frozen: whatever happens next, a key that could move money is never taken again.
        if (verdict.reasons.some((reason) => MONEY_REASONS.has(reason.code))) await deps.denylist.add(record);
        const notice: WatchNotice = { kind: "refused", reasons: verdict.reasons, changes: verdict.changes };
        if (!(await findings.retire(userId, ref, "frozen", verdict.facts, notice))) return "stale";
        logger.warn(
          { userId, ref, reasons: verdict.reasons.map((reason) => reason.code) },
          "the key watch froze a key that no longer passes the policy",
        );
        await reminders.cancel(record);
        await deps.sharedKeys.freezeOthers(record);
        return "refused";
      }
      case "gone": {
        const now = deps.clock();
        if (verdict.why === "deleted") {
          if (!(await findings.retire(userId, ref, "deleted", record, { kind: "deleted" }))) return "stale";
          await reminders.cancel(record);
          return "gone";
        }
        const expired = { ...record, status: "expired" as const, expiresAt: now };
        if (!(await findings.retire(userId, ref, "expired", expired, null))) return "stale";
        await moveReminders(expired);
        return "expired";
      }
      case "unanswered":
        return "unanswered";
    }
  }

  async function look(record: CredentialRecord): Promise<WatchResult> {
    // Our own data first, Bybit unasked: a denied key, or a copy in another slot, is frozen everywhere (no brake: nothing here can be Bybit's mistake).
    if (await deps.sharedKeys.inspect(record)) return "shared";
    const opened = await credentials.reveal(record.userId).catch(() => null);
    // Sealed with an entry this process lacks: the reconciliation takes it out of use and back.
    if (!opened || opened.record.ref !== record.ref) return "not-active";
    const exchange = deps.exchanges.of(record.exchange);
    const reading = await exchange.readKey(opened.credentials, record.site);
    const verdict = judgeWatchedKey({
      rules: exchange.profile.permissionRules,
      stored: record,
      reading,
      now: deps.clock(),
      rotateAfterDays: deps.rotateAfterDays,
    });
    return apply(record, verdict);
  }

  async function tellOwed(record: CredentialRecord): Promise<void> {
    const notice = await findings.owed(record.userId, record.ref);
    // Claimed for the length of a send: a look started meanwhile (the reconciliation's) does not send it too.
    if (!notice || !(await findings.claim(record.userId, record.ref, NOTICE_CLAIM_MS))) return;
    const outcome = await deps.tell(record, notice);
    if (outcome.delivered || "unreachable" in outcome) {
      if ("unreachable" in outcome) await credentials.markUnreachable(record.userId, record.ref, deps.clock());
      await findings.given(record.userId, record.ref);
      return;
    }
    await findings.unclaim(record.userId, record.ref);
    throw new Error("Telegram did not take the key watch's notice");
  }

  const worker = new Worker<WatchJob, WatchResult>(
    KEY_WATCH_QUEUE,
    async (job) => {
      const { userId, ref } = job.data;
      const record = await credentials.current(userId);
      if (!record || record.ref !== ref) {
        await deps.schedule.unwatch(ref);
        return "stale";
      }
      const result = record.status === "active" ? await look(record) : "not-active";
      deps.metrics.keyWatch.inc({ outcome: result });
      if (result === "unanswered") throw new Error("Bybit gave no usable answer about the key; asking again later");
      await tellOwed(record);
      // Out of use for good: nothing more to watch, and nothing to remind of (done again after a
      // crash in between). An unreadable key comes back, and is watched again then; an expired one
      // keeps its expiry reminder.
      if (
        record.status === "frozen" ||
        record.status === "deleted" ||
        result === "refused" ||
        result === "gone" ||
        result === "shared"
      )
        await reminders.cancel(record);
      else if (record.status === "expired" || result === "expired") await deps.schedule.unwatch(ref);
      return result;
    },
    { connection: deps.connection as ConnectionOptions, prefix: deps.prefix, concurrency: deps.concurrency ?? 8 },
  );
  worker.on("failed", (job, error) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      deps.metrics.keyWatchFailures.inc();
      logger.warn(
        { userId: job.data.userId, ref: job.data.ref, err: error },
        "the key watch could not settle a key; it tries again at the key's next turn",
      );
    }
  });
  reportingErrors(worker, "key watch worker", logger);
  return { worker, close: () => worker.close() };
}
