import type { Logger } from "pino";
import type { RedisClient } from "../infra/redis.js";

/**
 * The audit trail: capped Redis streams of security events, for the operator after an incident
 * ("when was this key connected, frozen, verified revoked, purged?"). An entry names the follower
 * and the key (its name, masked key and ref), says what happened, when, and why; it never holds key
 * material. Key lifecycle events reach it through the event relay (relay.ts), exactly as the
 * engine sees them; the rest is recorded here where it happens.
 *
 * Two streams, each with its own cap: what a follower (or an engine) can cause again and again
 * (a refused key, a refused open, a blocked bot) goes to the activity stream, so that however many
 * there are, they never push the key lifecycle, reminders and rewraps out of the main one.
 * `ops audit` merges both in time order.
 */

export const AUDIT_STREAM = "{audit}:stream";
/** Beside AUDIT_STREAM, in the same slot. */
export const AUDIT_ACTIVITY_STREAM = "{audit}:activity";
/** How long an entry is kept: it names the follower, so not for ever. */
export const AUDIT_RETENTION_DAYS = 180;
/** A ceiling on memory whatever happens (about 100 bytes an entry: some 100 MB). */
export const AUDIT_MAX_ENTRIES = 1_000_000;

export type AuditType =
  | "key-refused"
  | "reminder-sent"
  | "follower-unreachable"
  | "open-refused"
  | "rewrap-started"
  | "rewrap-finished"
  | "freeze-all-started"
  | "freeze-all-swept";

/** Entries that can come again and again at someone else's will: the activity stream's. */
export const ACTIVITY_TYPES: ReadonlySet<AuditType> = new Set<AuditType>([
  "key-refused",
  "open-refused",
  "follower-unreachable",
]);

/** What an entry may say besides its type: the key's public facts and plain details, never a secret. */
export interface AuditEntry {
  type: AuditType;
  userId?: number;
  ref?: string;
  maskedKey?: string;
  name?: string;
  /** Plain details: a refusal's reasons, a reminder's kind, counts. */
  details?: Record<string, string | number>;
  /** When it happened (ms), if not now: a reminder is sent when Telegram takes it, a little before it is recorded. */
  at?: number;
}

export interface AuditTrail {
  /** The main stream: key lifecycle, reminders, rewraps. */
  stream: string;
  /** Refusals and the like (ACTIVITY_TYPES), capped apart. */
  activityStream: string;
  /** Appends entries given as stream fields (the relay's key events) to the main stream; throws when Redis does. */
  append(entries: string[][]): Promise<void>;
  /** Appends the entry; a failure is logged (without the entry) and not passed on: the follower's step has happened. */
  record(entry: AuditEntry): Promise<void>;
}

export interface AuditTrailOptions {
  /** The main stream (default AUDIT_STREAM); the activity stream is then `<stream>:activity` unless named. */
  stream?: string;
  activityStream?: string;
  retentionDays?: number;
  /** The cap of each stream. */
  maxEntries?: number;
  logger?: Logger;
}

/** An entry as stream fields: `type`, `at` (ms), then whatever it names. */
export function auditFields(entry: AuditEntry, at: number): string[] {
  const fields = ["type", entry.type, "at", String(at)];
  const named = {
    userId: entry.userId,
    ref: entry.ref,
    maskedKey: entry.maskedKey,
    name: entry.name,
    ...entry.details,
  };
  for (const [field, value] of Object.entries(named))
    if (value !== undefined && value !== "") fields.push(field, String(value));
  return fields;
}

export function createAuditTrail(redis: RedisClient, options: AuditTrailOptions = {}): AuditTrail {
  const stream = options.stream ?? AUDIT_STREAM;
  const activityStream =
    options.activityStream ?? (options.stream ? `${options.stream}:activity` : AUDIT_ACTIVITY_STREAM);
  const retentionMs = (options.retentionDays ?? AUDIT_RETENTION_DAYS) * 86_400_000;
  const maxEntries = options.maxEntries ?? AUDIT_MAX_ENTRIES;
  async function appendTo(target: string, entries: string[][]): Promise<void> {
    // Older than the retention goes as each entry is added; the ceiling holds whatever the rate.
    const pipeline = redis.pipeline();
    for (const fields of entries) pipeline.xadd(target, "MINID", "~", `${Date.now() - retentionMs}-0`, "*", ...fields);
    pipeline.xtrim(target, "MAXLEN", "~", maxEntries);
    const failed = (await pipeline.exec())?.find(([error]) => error);
    if (failed) throw failed[0];
  }
  return {
    stream,
    activityStream,
    append: (entries) => appendTo(stream, entries),
    async record(entry) {
      try {
        await appendTo(ACTIVITY_TYPES.has(entry.type) ? activityStream : stream, [
          auditFields(entry, entry.at ?? Date.now()),
        ]);
      } catch (error) {
        options.logger?.error(
          { type: entry.type, userId: entry.userId, error: (error as Error).name },
          "could not append to the audit trail",
        );
      }
    },
  };
}
