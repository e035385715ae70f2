import { DAY_MS } from "./key-policy.js";

/**
 * A key's reminders, in the order they come: replace it (day 80 by default), a week and a day before it
 * expires, and at expiry.
 */
export const REMINDER_KINDS = ["rotate", "expiry-7d", "expiry-1d", "expiry"] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];
/** The warnings before expiry, and how long before it each comes. */
export const EXPIRY_WARNINGS = { "expiry-7d": 7 * DAY_MS, "expiry-1d": DAY_MS } as const;

export interface RotationRules {
  /** Remind to rotate this many days after the key was created. */
  rotateAfterDays: number;
  /** The service's own limit for keys that Bybit lets live for ever (IP-bound ones). */
  keyMaxAgeDays: number;
}

export type ReminderTimes = Record<ReminderKind, number>;

/** When the key stops working: Bybit's expiry, or for a key Bybit lets live for ever, the service's own limit. */
export const expiryOf = (key: { createdAt: number; expiresAt: number | null }, rules: RotationRules): number =>
  key.expiresAt ?? key.createdAt + rules.keyMaxAgeDays * DAY_MS;

/** When each reminder is due, in epoch milliseconds. */
export function reminderTimes(
  key: { createdAt: number; expiresAt: number | null },
  rules: RotationRules,
): ReminderTimes {
  const expiry = expiryOf(key, rules);
  return {
    rotate: key.createdAt + rules.rotateAfterDays * DAY_MS,
    "expiry-7d": expiry - EXPIRY_WARNINGS["expiry-7d"],
    "expiry-1d": expiry - EXPIRY_WARNINGS["expiry-1d"],
    expiry,
  };
}

/**
 * A warning whose time has passed when the key is scheduled is not sent: its days would be wrong, and the
 * next one (or "Connected", which says the expiry date) tells the follower.
 */
export const isLateWarning = (kind: ReminderKind, dueAt: number, now: number): boolean =>
  kind in EXPIRY_WARNINGS && dueAt <= now;
