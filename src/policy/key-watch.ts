import type { ApiKeyFacts } from "./api-key.js";
import { evaluateKey, type PermissionRules, type RefusalReason } from "./key-policy.js";

/** What the exchange said when the watch asked about a key (the adapter's reading, its failures as their names). */
export type KeyReading = { ok: true; key: ApiKeyFacts } | { ok: false; failure: string };

/** Permissions granted since the key was last seen, and taken away. */
export interface PermissionChanges {
  added: { group: string; permissions: string[] }[];
  removed: { group: string; permissions: string[] }[];
}

/**
 * What the watch does with a key:
 * - `fine`: it still passes; its facts are stored anew (a name, a permission on the allowlist, a moved expiry).
 * - `refused`: it no longer passes; it goes out of use at once, and the follower hears what changed and how to fix it.
 * - `gone`: Bybit no longer accepts it (deleted, or expired early): marked so; the follower hears it once.
 * - `unanswered`: no usable answer (Bybit down, our clock, an IP binding): ask again later, change nothing.
 */
export type WatchVerdict =
  | { verdict: "fine"; facts: ApiKeyFacts; expiryMoved: boolean }
  | { verdict: "refused"; facts: ApiKeyFacts; reasons: RefusalReason[]; changes: PermissionChanges }
  | { verdict: "gone"; why: "deleted" | "expired" }
  | { verdict: "unanswered"; failure: string };

export interface WatchInput {
  /** The key's exchange's rules for permissions, as at connect. */
  rules: PermissionRules;
  /** What was stored when the key was last seen. */
  stored: { permissions: Record<string, string[]>; expiresAt: number | null };
  reading: KeyReading;
  now: number;
  rotateAfterDays: number;
}

/**
 * Refusals that are the connect step's alone. The IP ones follow the service's own settings: an
 * operator who adds an egress IP must not freeze every IP-bound key at once (and Bybit itself
 * refuses a key bound to other IPs: ip-not-allowed, `unanswered`, for it may be our address that
 * moved). A missing expiry is our rotation rule, not a danger, and its reminders run anyway.
 */
const CONNECT_ONLY: ReadonlySet<RefusalReason["code"]> = new Set([
  "ip-bound-without-egress",
  "ip-bound-missing-egress",
  "ip-not-bound",
  "ip-bound-extra",
  "public-key-mismatch",
  "no-expiry",
]);

/** Judges a key the watch read again. Pure: the caller brings the clock and the reading. */
export function judgeWatchedKey({ rules, stored, reading, now, rotateAfterDays }: WatchInput): WatchVerdict {
  if (!reading.ok) {
    if (reading.failure === "invalid-key") return { verdict: "gone", why: "deleted" };
    if (reading.failure === "expired") return { verdict: "gone", why: "expired" };
    return { verdict: "unanswered", failure: reading.failure };
  }
  const facts = reading.key;
  const verdict = evaluateKey({ key: facts, rules, egressIps: [], now, rotateAfterDays });
  const reasons = verdict.accepted ? [] : verdict.reasons.filter((reason) => !CONNECT_ONLY.has(reason.code));
  if (reasons.length > 0)
    return { verdict: "refused", facts, reasons, changes: permissionChanges(stored.permissions, facts.permissions) };
  return { verdict: "fine", facts, expiryMoved: facts.expiresAt !== stored.expiresAt };
}

export function permissionChanges(
  before: Record<string, string[]>,
  after: Record<string, string[]>,
): PermissionChanges {
  const difference = (from: Record<string, string[]>, to: Record<string, string[]>) =>
    Object.entries(to)
      .map(([group, permissions]) => ({
        group,
        permissions: permissions.filter((permission) => !(from[group] ?? []).includes(permission)),
      }))
      .filter(({ permissions }) => permissions.length > 0);
  return { added: difference(before, after), removed: difference(after, before) };
}
