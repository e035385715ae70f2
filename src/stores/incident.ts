import type { RedisClient } from "../infra/redis.js";
import { createPanicStepsOwed, type PanicStepsOwed } from "./panic-steps.js";

/**
 * The operator's worst day (`npm run ops -- freeze-all`): every key stored before `frozenBefore` is
 * out of use from the moment the incident begins (the engine's access module refuses it at once,
 * before the sweep has frozen it), each is frozen into a /panic flow of its own, and its follower is
 * owed a notice with the revoke steps until Telegram takes it (sent by any bot process). Holds times,
 * counts, follower ids and key refs only.
 */
export interface Incident {
  /** Keys stored at or before this (ms, on Redis' clock: TIME) are out of use. */
  frozenBefore: number;
  /** What followers are told happened; null: each language's default. */
  reason: string | null;
  /** Who ran it (the operator's user name, as the shell gave it). */
  by: string;
}

export interface Incidents {
  /**
   * Begins the incident, or (a run killed and started again) returns the one under way, unchanged;
   * `fresh`: a new breach, a new incident in its place (keys stored since the last one frozen too).
   */
  begin(incident: Incident, fresh?: boolean): Promise<{ incident: Incident; resumed: boolean }>;
  current(): Promise<Incident | null>;
  /** Notices owed, follower by follower: `owe` at 0 is due at once; `sent` once Telegram took it. */
  notices: PanicStepsOwed;
  /** Records a key frozen by the incident (for the counts). */
  frozen(userId: number, ref: string): Promise<void>;
  /** Records a follower no notice can reach (blocked the bot, or never started it): not told. */
  unreachable(userId: number, ref: string): Promise<void>;
  counts(): Promise<{ frozen: number; owed: number; unreachable: number }>;
  /** The frozen keys, as `[userId, ref]`. */
  frozenKeys(): Promise<[number, string][]>;
}

/** Whether the incident took this key out of use: stored at or before it (a key from before `storedAt`: yes). */
export const frozenBy = (incident: Incident | null, record: { storedAt: number | null }) =>
  incident !== null && (record.storedAt ?? 0) <= incident.frozenBefore;

/** Redis' clock, in ms: the one every process shares. */
export async function redisNow(redis: RedisClient): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export const INCIDENT_KEYS = {
  state: "{incident}:state",
  notices: "{incident}:notices",
  frozen: "{incident}:frozen",
  unreachable: "{incident}:unreachable",
} as const;

/** `keys`: elsewhere than production's, where processes must not share theirs. */
export function createIncidents(redis: RedisClient, keys: typeof INCIDENT_KEYS = INCIDENT_KEYS): Incidents {
  const read = async (): Promise<Incident | null> => {
    const fields = await redis.hgetall(keys.state);
    if (!fields.frozenBefore) return null;
    return { frozenBefore: Number(fields.frozenBefore), reason: fields.reason || null, by: fields.by ?? "" };
  };
  return {
    async begin(incident, fresh = false) {
      const fields = {
        frozenBefore: String(incident.frozenBefore),
        reason: incident.reason ?? "",
        by: incident.by,
      };
      // The notices the last incident still owes stay owed; its counts give way to this one's.
      if (fresh) await redis.del(keys.state, keys.frozen, keys.unreachable);
      // HSETNX on the marker field: of two runs, the first one's time holds.
      const created = await redis.hsetnx(keys.state, "frozenBefore", fields.frozenBefore);
      if (created === 1) await redis.hset(keys.state, { reason: fields.reason, by: fields.by });
      return { incident: (await read()) ?? incident, resumed: created !== 1 };
    },
    current: read,
    notices: createPanicStepsOwed(redis, keys.notices),
    async frozen(userId, ref) {
      await redis.sadd(keys.frozen, `${userId} ${ref}`);
    },
    async unreachable(userId, ref) {
      await redis.sadd(keys.unreachable, `${userId} ${ref}`);
    },
    async counts() {
      const [frozen, owed, unreachable] = await Promise.all([
        redis.scard(keys.frozen),
        redis.zcard(keys.notices),
        redis.scard(keys.unreachable),
      ]);
      return { frozen, owed, unreachable };
    },
    async frozenKeys() {
      return (await redis.smembers(keys.frozen)).map((member) => {
        const [userId, ref] = member.split(" ");
        return [Number(userId), ref ?? ""] as [number, string];
      });
    },
  };
}
