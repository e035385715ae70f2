/** What a shredder is, its timing, and the small helpers it works with (shredder.ts makes one). */
import { pause as waitFor } from "../../infra/pause.js";
import type { Logger } from "pino";
import type { Metrics } from "../../metrics/metrics.js";
import type { MessageAddress } from "./carriers.js";
import type { DeleteOutcome } from "./fast-delete.js";
import type { PendingDeletions } from "./pending-deletions.js";

/**
 * What a handler learns within its patience: the message is gone, Telegram refused for good,
 * or Telegram has not answered usefully yet and the deletion goes on.
 */
export type Shredding = "deleted" | "refused" | "still-trying";

/** How a deletion ended for good, when it did not happen. */
export type NotDeleted = "refused" | "gave-up";

/** A first deletion request already on its way: sent before anything else is done for a batch of updates. */
export interface FirstRequest {
  outcome: Promise<DeleteOutcome>;
  /** Resolves once the request is on the wire (or failed before it). */
  onWire: Promise<void>;
  /** Sent by long polling's thread: how long after its batch arrived. */
  issuedAfterMs?: number;
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
  shredBatch(messages: MessageAddress[], receivedAt: number, sent?: FirstRequest[]): Promise<void>;
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

export const DEFAULT_TIMING: ShredderTiming = {
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
export const RECORD_WITHIN_MS = 1000;
/** How long a first request's outcome is remembered for the handlers that ask after it. */
export const REMEMBER_MS = 5 * 60_000;
/** The longest a reply may take through the send path's retries (sending/send-path.ts), with room. */
export const TELLING_MS = 6 * 60_000;

export const idOf = ({ businessConnectionId, chatId, messageId }: MessageAddress) =>
  `${businessConnectionId ?? ""}:${chatId}:${messageId}`;

/** A timer that never keeps the process alive, and ends early (resolving) when `signal` aborts. */
export const pause = (ms: number, signal?: AbortSignal) => waitFor(ms, signal, { unref: true });
