import type { Logger } from "pino";
import type { Metrics } from "../../metrics/metrics.js";
import type { MessageAddress } from "./carriers.js";
import type { DeleteOutcome } from "./fast-delete.js";
import type { PendingDeletion, PendingDeletions } from "./pending-deletions.js";

/**
 * What a handler learns within its patience: the message is gone, Telegram refused for good,
 * or Telegram has not answered usefully yet and the deletion goes on.
 */
export type Shredding = "deleted" | "refused" | "still-trying";

/** How a deletion ended for good, when it did not happen. */
export type NotDeleted = "refused" | "gave-up";

/** A first deletion request already on its way: sent before anything else is done for a batch of updates. */
interface FirstRequest {
  outcome: Promise<DeleteOutcome>;
  /** Resolves once the request is on the wire (or failed before it). */
  onWire: Promise<void>;
}

/** Deletes messages that carry credentials, once per message however many places ask for it, until Telegram decides. */
export interface Shredder {
  /**
   * `receivedAt` (performance.now()): when the update reached the bot, for the exposure metric.
   * The deletion request goes first, the pending record right behind it (once the request is on
   * the wire): nothing, not even a Redis write, comes between the message and its deletion. A
   * crash before the record is in Redis: in webhook mode the update was not answered, and
   * Telegram posts it again.
   */
  shred(message: MessageAddress, receivedAt?: number): Promise<Shredding>;
  /**
   * A batch of updates as long polling fetched it: every first request goes out before any
   * bookkeeping (a request costs about 0.1 ms on a cold connection, the bookkeeping as much
   * again, which the last of 100 messages used to wait for), then one Redis write records them
   * all. Resolves once the records are written (or could not be); at-intake.ts confirms the batch
   * to Telegram only then, so a crash before it leaves the updates to be delivered again.
   */
  shredBatch(messages: MessageAddress[], receivedAt: number): Promise<void>;
  /**
   * The update that carried the message was handled, or its follower told what comes next (a key
   * check under way, which interrupted.ts answers for): nobody owes them a word about a restart.
   */
  answered(message: MessageAddress): Promise<void>;
  /** Takes up deletions left pending by a process that stopped or crashed, now and from time to time. */
  startSweeping(): void;
  /** Stops retrying here and hands what is still pending to the next process: at once, or (`handOver` false, as a crash) after the lease. */
  stop(handOver?: boolean): Promise<void>;
}

export interface ShredderTiming {
  /** How long a handler waits for the outcome before it is told "still trying". */
  patienceMs: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** Telegram lets a bot delete a message for 48 hours; after that, retrying cannot help. */
  giveUpAfterMs: number;
  /** How long a process's hold on an entry outlives its next attempt, should the process die. */
  leaseMs: number;
  /** The hold on a deleted message whose update is still handled here: renewed by every sweep, so short. */
  answerLeaseMs: number;
  sweepEveryMs: number;
}

const DEFAULT_TIMING: ShredderTiming = {
  patienceMs: 5000,
  firstBackoffMs: 250,
  maxBackoffMs: 30_000,
  giveUpAfterMs: 47 * 3600_000,
  leaseMs: 30_000,
  answerLeaseMs: 10_000,
  sweepEveryMs: 2000,
};

export interface ShredderDeps {
  /** `onSent`: the request is on the wire (or failed before it): called once, before the outcome. */
  deleteOnce(message: MessageAddress, onSent?: () => void): Promise<DeleteOutcome>;
  pending: PendingDeletions;
  /** Tells the chat, once, that a message stays: the only place a failed deletion is announced. */
  tellNotDeleted(message: MessageAddress, why: NotDeleted): Promise<void>;
  /**
   * Tells the sender of a message taken up from a process that died before answering it (the
   * update is gone with it: long polling confirmed it when fetching). Absent where updates come
   * again after a crash (webhook mode: Telegram posts again what was not answered 200).
   */
  tellUnanswered?(message: MessageAddress): Promise<void>;
  logger: Logger;
  metrics: Metrics;
  timing?: Partial<ShredderTiming>;
  now?: () => number;
}

/** The longest a batch's records wait for its requests to be on the wire (Telegram unreachable: connecting). */
const RECORD_WITHIN_MS = 1000;
/** How long a first request's outcome is remembered for the handlers that ask after it. */
const REMEMBER_MS = 5 * 60_000;
/** The longest a reply may take through the send path's retries (sending/send-path.ts), with room. */
const TELLING_MS = 6 * 60_000;

export function createShredder(deps: ShredderDeps): Shredder {
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const now = deps.now ?? Date.now;
  const started = new Map<string, Promise<Shredding>>();
  /** Entries this process works on, by id: never claimed twice here, released on stop. */
  const working = new Map<string, PendingDeletion>();
  /** Messages shredded here whose update is not handled yet: their entries stay pending (held) until it is. */
  const owed = new Map<string, { entry: PendingDeletion; settled: boolean }>();
  const owing = deps.tellUnanswered !== undefined;
  const stopping = new AbortController();
  /** stop() handed over: a record written after it (its request still connecting) leaves the entry free too. */
  let handedOver = false;
  const recordUntil = () => (handedOver ? 0 : now() + timing.leaseMs);
  let sweeper: NodeJS.Timeout | undefined;

  /** Records the entry once (`record`), right after the first request is on the wire. */
  async function untilSettled(
    entry: PendingDeletion,
    record?: () => Promise<void>,
    first?: FirstRequest,
  ): Promise<"deleted" | NotDeleted | "stopped"> {
    for (let attempt = 0; !stopping.signal.aborted; attempt += 1) {
      const outcome = await (attempt === 0 && first ? first.outcome : deps.deleteOnce(entry.address, record));
      // The holds and the removal below go after the record, on the same connection.
      await record?.();
      if (outcome.result !== "retry") return outcome.result;
      if (now() - entry.since >= timing.giveUpAfterMs) return "gave-up";
      deps.metrics.deletionRetries.inc();
      if (stopping.signal.aborted) break;
      const wait = outcome.afterMs ?? Math.min(timing.maxBackoffMs, timing.firstBackoffMs * 2 ** attempt);
      await hold(entry, now() + wait + timing.leaseMs);
      await pause(wait, stopping.signal);
    }
    return "stopped";
  }

  /**
   * Keeps the entry ours until `until`. Redis failing here changes nothing in this process: the
   * deletion goes on in memory, and the entry (if Redis has it) stays pending for the others.
   */
  async function hold(entry: PendingDeletion, until: number): Promise<void> {
    await deps.pending
      .hold(entry, until)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error }, "could not hold a pending deletion; retrying it here all the same"),
      );
  }

  /**
   * Works on one entry to the end; what ends it for good is counted and a failure told, and only
   * then does the entry leave the pending set: a crash before the word is out lets another
   * process delete (or fail) and tell again, so the follower hears at least once.
   */
  async function work(
    entry: PendingDeletion,
    unanswered = false,
    record?: () => Promise<void>,
    first?: FirstRequest,
  ): Promise<"deleted" | NotDeleted | "stopped"> {
    const id = idOf(entry.address);
    working.set(id, entry);
    try {
      const outcome = await untilSettled(entry, record, first);
      // Left to whoever takes the entry next.
      if (outcome === "stopped") return outcome;
      deps.metrics.credentialDeletions.inc({
        outcome: outcome === "deleted" ? "deleted" : outcome === "refused" ? "refused" : "gave_up",
      });
      if (outcome !== "deleted") {
        deps.logger.warn(
          { chatId: entry.address.chatId, messageId: entry.address.messageId, outcome },
          "credential message could not be deleted",
        );
        // The word may take the send path's full retry time: the entry stays ours meanwhile.
        await hold(entry, now() + TELLING_MS + timing.leaseMs);
        await deps
          .tellNotDeleted(entry.address, outcome)
          .catch((error: unknown) => deps.logger.warn({ err: error }, "could not say that a message stays"));
      }
      if (unanswered) await tellUnanswered(entry);
      // Its update is still being handled here: the entry waits for that (held by the sweep),
      // so that a crash meanwhile is noticed.
      const waiting = owed.get(id);
      if (waiting) waiting.settled = true;
      if (waiting) await hold(entry, now() + timing.answerLeaseMs);
      else await deps.pending.remove(entry).catch(() => undefined);
      return outcome;
    } finally {
      working.delete(id);
    }
  }

  /**
   * The process that fetched the update died before answering it: its sender hears so.
   * At least once: the entry goes only after the word is out.
   */
  async function tellUnanswered(entry: PendingDeletion): Promise<void> {
    const { address } = entry;
    deps.metrics.restartNotices.inc({ kind: "credential" });
    const where = { chatId: address.chatId, messageId: address.messageId };
    deps.logger.warn(where, "a credential message was left unanswered by a restart; its sender is told");
    await hold(entry, now() + TELLING_MS + timing.leaseMs);
    await deps
      .tellUnanswered?.(address)
      .catch((error: unknown) => deps.logger.warn({ err: error }, "could not tell a sender that the bot restarted"));
  }

  async function sweep(): Promise<void> {
    // Ours, still owed an answer: held on while the update is handled here.
    for (const { entry, settled } of owed.values()) if (settled) await hold(entry, now() + timing.answerLeaseMs);
    const claimed = await deps.pending.claimDue(now(), now() + timing.leaseMs, 20);
    for (const { entry, answered } of claimed) {
      const id = idOf(entry.address);
      if (!working.has(id) && !owed.has(id)) void work(entry, owing && !answered);
    }
  }

  function request(message: MessageAddress): FirstRequest {
    let onWire!: () => void;
    const wired = new Promise<void>((resolve) => (onWire = resolve));
    return { outcome: deps.deleteOnce(message, onWire), onWire: wired };
  }

  async function holdAll(entries: PendingDeletion[], until: number): Promise<void> {
    await deps.pending
      .holdAll(entries, until)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error }, "could not record pending deletions; retrying them here all the same"),
      );
  }

  /** Works on the entry, here; `record` writes its pending record once (after the first request is on the wire). */
  function begin(
    entry: PendingDeletion,
    receivedAt: number,
    record: () => Promise<void>,
    first?: FirstRequest,
  ): Promise<Shredding> {
    const id = idOf(entry.address);
    if (owing) owed.set(id, { entry, settled: false });
    const settled = work(entry, false, record, first);
    // Never sent (a stop came first): recorded all the same, for the next process.
    void settled.finally(record);
    // `work` has asked for the deletion by now (it awaits nothing before it).
    deps.metrics.credentialExposure.observe((performance.now() - receivedAt) / 1000);
    const shredding = Promise.race([
      settled.then((outcome): Shredding => (outcome === "deleted" || outcome === "refused" ? outcome : "still-trying")),
      pause(timing.patienceMs).then((): Shredding => "still-trying"),
    ]);
    started.set(id, shredding);
    setTimeout(() => started.delete(id), REMEMBER_MS).unref();
    return shredding;
  }

  return {
    shred(message, receivedAt = performance.now()) {
      const under = started.get(idOf(message));
      if (under) return under;
      const entry: PendingDeletion = { address: message, since: now() };
      let recording: Promise<void> | undefined;
      return begin(entry, receivedAt, () => (recording ??= hold(entry, recordUntil())));
    },

    shredBatch(messages, receivedAt) {
      const fresh = [...new Map(messages.map((message) => [idOf(message), message])).values()].filter(
        (message) => !started.has(idOf(message)),
      );
      const firsts = fresh.map(request);
      const entries = fresh.map((address): PendingDeletion => ({ address, since: now() }));
      // Once every request is on the wire; one that cannot connect does not hold the others' records back long.
      const wired = Promise.all(firsts.map((first) => first.onWire));
      const recorded = Promise.race([wired, pause(RECORD_WITHIN_MS)]).then(() => holdAll(entries, recordUntil()));
      entries.forEach((entry, index) => void begin(entry, receivedAt, () => recorded, firsts[index]));
      return recorded;
    },

    async answered(message) {
      const id = idOf(message);
      const { entry, settled } = owed.get(id) ?? {};
      if (!entry) return;
      owed.delete(id);
      // Settled already: the entry waited only for this. Still deleting: it goes once the deletion ends.
      const done = settled ? deps.pending.remove(entry) : deps.pending.markAnswered(entry);
      const failed = (error: unknown) =>
        deps.logger.warn({ err: error }, "could not record a credential message answered");
      await done.catch(failed);
    },

    startSweeping() {
      const tick = () =>
        sweep().catch((error: unknown) => deps.logger.warn({ err: error }, "could not read pending deletions"));
      void tick();
      sweeper = setInterval(tick, timing.sweepEveryMs).unref();
    },

    async stop(handOver = true) {
      clearInterval(sweeper);
      stopping.abort();
      handedOver = handOver;
      const answering = [...owed.values()].filter(({ settled }) => settled).map(({ entry }) => entry);
      const held = [...working.values(), ...answering];
      // Free at once for whichever process comes next, instead of after the lease.
      if (handOver) await Promise.all(held.map((entry) => hold(entry, 0)));
    },
  };
}

const idOf = ({ businessConnectionId, chatId, messageId }: MessageAddress) =>
  `${businessConnectionId ?? ""}:${chatId}:${messageId}`;

/** A timer that never keeps the process alive, and ends early (resolving) when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener("abort", done, { once: true });
  });
}
