import { DAY_MS } from "./key-policy.js";

export type ReminderKind = "rotate" | "expiry";

export interface RotationRules {
  /** Remind to rotate this many days after the key was created. */
  rotateAfterDays: number;
  /** The service's own limit for keys that Bybit lets live for ever (IP-bound ones). */
  keyMaxAgeDays: number;
}

export type ReminderTimes = Record<ReminderKind, number>;

/** When each reminder is due, in epoch milliseconds. */
export function reminderTimes(
  key: { createdAt: number; expiresAt: number | null },
  rules: RotationRules,
): ReminderTimes {
  return {
    rotate: key.createdAt + rules.rotateAfterDays * DAY_MS,
    expiry: key.expiresAt ?? key.createdAt + rules.keyMaxAgeDays * DAY_MS,
  };
}
