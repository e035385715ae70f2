import type { RedisClient } from "../infra/redis.js";
import { anyMemberStarting, leaseDue } from "../infra/sorted-leases.js";

/** A frozen key whose revoke steps have not been seen to go out. */
export interface OwedSteps {
  userId: number;
  ref: string;
}

/**
 * `/panic` steps owed to followers: written before the key is frozen, beating while the steps go
 * out, cleared once Telegram took them. One silent for long was cut short by a restart (the
 * update that carried `/panic` is gone with the process): any bot process sends the steps again,
 * if the flow is still open. Holds follower ids, key refs and times only.
 */
export interface PanicStepsOwed {
  owe(step: OwedSteps, at: number): Promise<void>;
  /** Says the steps are still on their way (a slow Telegram is not a crash). */
  beat(step: OwedSteps, at: number): Promise<void>;
  sent(step: OwedSteps): Promise<void>;
  /** Whether steps are owed to this follower (their resend says "restarted" already). */
  owesTo(userId: number): Promise<boolean>;
  /**
   * Takes the entries whose last beat came before `before`, for `leaseMs` (no other process takes them
   * meanwhile); each stays owed until `sent`, so one whose taker died is taken again after the lease.
   */
  claimSilentSince(before: number, limit: number, leaseMs: number): Promise<OwedSteps[]>;
}

const OWED_KEY = "{panic-steps}:owed";

const memberOf = ({ userId, ref }: OwedSteps) => `${userId} ${ref}`;

/** `key` is another set where processes must not share theirs (tests sharing one Redis). */
export function createPanicStepsOwed(redis: RedisClient, key = OWED_KEY): PanicStepsOwed {
  return {
    async owe(step, at) {
      await redis.zadd(key, at, memberOf(step));
    },
    async beat(step, at) {
      // XX: a beat never brings back steps that went out.
      await redis.zadd(key, "XX", at, memberOf(step));
    },
    async sent(step) {
      await redis.zrem(key, memberOf(step));
    },
    async owesTo(userId) {
      return anyMemberStarting(redis, key, `${userId} `);
    },
    async claimSilentSince(before, limit, leaseMs) {
      // Leased, not removed: gone only once `sent` says Telegram took the steps. Scored as if it had beaten
      // `leaseMs` after `before` (scores are whole ms, so "before `before`" is "up to before - 1"): another
      // claim takes it `leaseMs` from now.
      const found = await leaseDue(redis, key, before - 1, limit, before + leaseMs);
      const owed: OwedSteps[] = [];
      for (const member of found) {
        const [userId, ref] = member.split(" ");
        if (Number.isSafeInteger(Number(userId)) && ref) owed.push({ userId: Number(userId), ref });
      }
      return owed;
    },
  };
}
