import type { PendingDeletion } from "./pending-deletions.js";
import type { MessageAddress } from "./carriers.js";
import {
  DEFAULT_TIMING,
  idOf,
  pause,
  RECORD_WITHIN_MS,
  REMEMBER_MS,
  TELLING_MS,
  type FirstRequest,
  type NotDeleted,
  type Shredder,
  type ShredderDeps,
  type Shredding,
} from "./shredding.js";

export type { NotDeleted, Shredder, ShredderDeps, ShredderTiming, Shredding } from "./shredding.js";

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
    deps.metrics.credentialExposure.observe((first?.issuedAfterMs ?? performance.now() - receivedAt) / 1000);
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

    shredBatch(messages, receivedAt, sent) {
      const fresh = new Map<string, { address: MessageAddress; first?: FirstRequest }>();
      messages.forEach((address, index) => {
        const id = idOf(address);
        if (!started.has(id) && !fresh.has(id)) fresh.set(id, { address, first: sent?.[index] });
      });
      const firsts = [...fresh.values()].map(({ address, first }) => first ?? request(address));
      const entries = [...fresh.values()].map(({ address }): PendingDeletion => ({ address, since: now() }));
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
