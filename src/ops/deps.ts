import type { Queue } from "bullmq";
import type { RedisClient } from "../infra/redis.js";
import type { AuditTrail } from "../audit/trail.js";
import type { EventKeys } from "../events/outbox.js";
import type { Sealer } from "../vault/sealer.js";

/** What the operator commands read. They never open a sealed record: what they show is never secret. */
export interface OpsDeps {
  redis: RedisClient;
  /** Only to name the keyring entry a record is sealed with (read from the blob's header, nothing decrypted). */
  sealer: Sealer | null;
  reminders: Queue;
  watch: Queue;
  events: EventKeys;
  /** Read by `audit`; `rewrap` records its runs in it. */
  audit: AuditTrail;
}

/** 2026-11-26 10:04 UTC, or "never". */
export const when = (epochMs: number | null | undefined) =>
  epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)
    ? "never"
    : `${new Date(epochMs).toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** A value as one line: a key name from Bybit could hold a line break and forge a line of output. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
export const oneLine = (value: string) => value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
