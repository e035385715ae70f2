import { evalCached } from "../infra/lua.js";
import { followerKeys } from "../infra/redis-keys.js";
import type { RedisClient } from "../infra/redis.js";
import type { AccountSnapshot } from "../policy/account.js";
import type { Credentials } from "../policy/api-key.js";
import { asText, credentialKey, revealAt, toRecord, type CredentialRecord } from "./credential-store.js";
import { EMIT_LUA, type EventOutbox } from "../events/outbox.js";
import { SealError, type Sealer } from "../vault/sealer.js";

/**
 * `/panic` flows, one per frozen key. Freezing moves the credential out of the follower's
 * slot, so nothing that uses the current key can reach it any more, into a flow of its own:
 * there it waits (sealed as before) until Bybit confirms the revocation or the follower gives
 * up on checking, and a new key can be connected meanwhile without touching it.
 */

/** What the account held, and when it was read (epoch ms). */
export interface ReadAccount {
  snapshot: AccountSnapshot;
  readAt: number;
}

export type SnapshotState = { state: "pending" } | { state: "unavailable" } | ({ state: "ready" } & ReadAccount);

export interface PanicFlow {
  /** The frozen key (status "frozen"); its ref names the flow in buttons. */
  record: CredentialRecord;
  frozenAt: number;
  snapshot: SnapshotState;
  /** Who froze it: the follower's /panic, their key seen in a group, or the operator (an incident). */
  frozenBy: FrozenBy;
}

export type FrozenBy = "panic" | "group-leak" | "incident";

/** What is kept of a key after `/panic`: nothing that could use it. */
export interface RevocationFacts {
  keyName: string;
  maskedKey: string;
  frozenAt: number;
  revokedVerified: boolean;
}

export interface PanicStore {
  /** Takes the credential `ref` out of service into a flow of its own, in one step; null when the slot holds another key (or none). */
  freeze(userId: number, ref: string, frozenAt: number, by?: FrozenBy): Promise<PanicFlow | null>;
  /** Every open flow of the follower, oldest first. */
  open(userId: number): Promise<PanicFlow[]>;
  flow(userId: number, ref: string): Promise<PanicFlow | null>;
  /** The frozen key, for the read-only calls of the flow (snapshot, revocation check). */
  reveal(userId: number, ref: string): Promise<Credentials | null>;
  /** What the account held (null: it could not be read). */
  recordSnapshot(userId: number, ref: string, read: ReadAccount | null): Promise<void>;
  /** Deletes the frozen key and its snapshot for good and keeps the facts; true only for the one caller that ended the flow. */
  finish(userId: number, ref: string, facts: RevocationFacts): Promise<boolean>;
  revocation(userId: number): Promise<RevocationFacts | null>;
}

/** An unfinished flow, key and snapshot included, does not outlive a day. */
const PANIC_TTL_SECONDS = 24 * 3600;

const panicIndexKey = (userId: number) => followerKeys(userId).panics;
const panicKey = (userId: number, ref: string) => followerKeys(userId).panic(ref);
const revokedKey = (userId: number) => followerKeys(userId).revokedKey;
export const snapshotContext = (userId: number, ref: string) => `user=${userId}|purpose=panic-snapshot|flow=${ref}`;

/**
 * KEYS: slot, flow, index, outbox. ARGV: ref, frozenAt, ttl, the follower, who froze it (panic, incident).
 * Moves the hash whole, seal included (its seal binds follower and key, not place).
 */
const FREEZE = `${EMIT_LUA}
if redis.call("HGET", KEYS[1], "ref") ~= ARGV[1] then return 0 end
local fields = redis.call("HGETALL", KEYS[1])
redis.call("DEL", KEYS[2])
redis.call("HSET", KEYS[2], unpack(fields))
redis.call("HSET", KEYS[2], "status", "frozen", "frozenAt", ARGV[2], "snapshotState", "pending", "frozenBy", ARGV[5])
redis.call("EXPIRE", KEYS[2], ARGV[3])
redis.call("DEL", KEYS[1])
redis.call("SADD", KEYS[3], ARGV[1])
redis.call("EXPIRE", KEYS[3], ARGV[3])
emit(KEYS[4], event("frozen", ARGV[4], KEYS[2], { "by", ARGV[5] }))
return 1`;

/**
 * Moves the follower's key `ref` out of their slot into a flow of its own, frozen, with its "frozen"
 * event (`by`: who froze it). False when the slot no longer holds that key.
 */
export async function freezeIntoFlow(
  redis: RedisClient,
  userId: number,
  ref: string,
  frozenAt: number,
  by: FrozenBy,
): Promise<boolean> {
  const keys = [credentialKey(userId), panicKey(userId, ref), panicIndexKey(userId), outboxOf(userId)];
  const args = [ref, String(frozenAt), PANIC_TTL_SECONDS, userId, by];
  return (await evalCached(redis, FREEZE, keys.length, ...keys, ...args)) === 1;
}

/**
 * KEYS: flow, index, facts, outbox. ARGV: ref, the follower, whether Bybit confirmed the key
 * dead ("yes"/"no"), then the facts as field, value pairs. "revoked" (when confirmed), then "purged".
 */
const FINISH = `${EMIT_LUA}
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
if ARGV[3] == "yes" then emit(KEYS[4], event("revoked", ARGV[2], KEYS[1])) end
emit(KEYS[4], event("purged", ARGV[2], KEYS[1], { "revokedVerified", ARGV[3] }))
redis.call("DEL", KEYS[1])
redis.call("SREM", KEYS[2], ARGV[1])
redis.call("DEL", KEYS[3])
redis.call("HSET", KEYS[3], unpack(ARGV, 4))
return 1`;

const SET_IF_OPEN = `
if redis.call("EXISTS", KEYS[1]) == 1 then redis.call("HSET", KEYS[1], unpack(ARGV)) end
return 0`;

const outboxOf = (userId: number) => followerKeys(userId).outbox;

/** `events`: nudges the event relay after each change (without it, the relay's sweep finds the events). */
export function createPanicStore(redis: RedisClient, sealer: Sealer, events?: EventOutbox): PanicStore {
  /** A snapshot no keyring entry opens any more is as good as none: the review says so. */
  function openSnapshot(sealed: Buffer, context: string): SnapshotState {
    try {
      return { state: "ready", ...(JSON.parse(sealer.open(sealed, context).toString("utf8")) as ReadAccount) };
    } catch (error) {
      if (error instanceof SealError) return { state: "unavailable" };
      throw error;
    }
  }

  async function flow(userId: number, ref: string): Promise<PanicFlow | null> {
    const { snapshot, ...raw } = await redis.hgetallBuffer(panicKey(userId, ref));
    const fields = asText(raw);
    const record = toRecord(fields);
    if (!record || !fields.frozenAt) return null;
    let state: SnapshotState = { state: "pending" };
    if (fields.snapshotState === "unavailable") state = { state: "unavailable" };
    if (fields.snapshotState === "ready" && snapshot) state = openSnapshot(snapshot, snapshotContext(userId, ref));
    const frozenBy: FrozenBy =
      fields.frozenBy === "group-leak" || fields.frozenBy === "incident" ? fields.frozenBy : "panic";
    return { record, frozenAt: Number(fields.frozenAt), snapshot: state, frozenBy };
  }

  return {
    async freeze(userId, ref, frozenAt, by = "panic") {
      if (!(await freezeIntoFlow(redis, userId, ref, frozenAt, by))) return null;
      await events?.nudge(userId);
      return flow(userId, ref);
    },

    async open(userId) {
      const flows: PanicFlow[] = [];
      for (const ref of await redis.smembers(panicIndexKey(userId))) {
        const found = await flow(userId, ref);
        // A flow that outlived its day is gone; so is its entry.
        if (found) flows.push(found);
        else await redis.srem(panicIndexKey(userId), ref);
      }
      return flows.sort((a, b) => a.frozenAt - b.frozenAt);
    },

    flow,

    async reveal(userId, ref) {
      try {
        return (await revealAt(redis, sealer, panicKey(userId, ref), userId))?.credentials ?? null;
      } catch (error) {
        // Sealed with a keyring entry since retired: the flow goes on without the key.
        if (error instanceof SealError) return null;
        throw error;
      }
    },

    async recordSnapshot(userId, ref, read) {
      const fields = read
        ? {
            snapshotState: "ready",
            snapshot: sealer.seal(Buffer.from(JSON.stringify(read)), snapshotContext(userId, ref)),
          }
        : { snapshotState: "unavailable" };
      // Only while the flow is open: a snapshot that finishes after the flow ended must not bring it back.
      await evalCached(redis, SET_IF_OPEN, 1, panicKey(userId, ref), ...Object.entries(fields).flat());
    },

    async finish(userId, ref, facts) {
      const pairs = [
        "keyName",
        facts.keyName,
        "maskedKey",
        facts.maskedKey,
        "frozenAt",
        String(facts.frozenAt),
        "revokedVerified",
        facts.revokedVerified ? "yes" : "no",
      ];
      const verified = facts.revokedVerified ? "yes" : "no";
      const finished =
        (await evalCached(
          redis,
          FINISH,
          4,
          panicKey(userId, ref),
          panicIndexKey(userId),
          revokedKey(userId),
          outboxOf(userId),
          ref,
          userId,
          verified,
          ...pairs,
        )) === 1;
      if (finished) await events?.nudge(userId);
      return finished;
    },

    async revocation(userId) {
      const fields = await redis.hgetall(revokedKey(userId));
      if (!fields.keyName) return null;
      return {
        keyName: fields.keyName,
        maskedKey: fields.maskedKey ?? "",
        frozenAt: Number(fields.frozenAt),
        revokedVerified: fields.revokedVerified === "yes",
      };
    },
  };
}
