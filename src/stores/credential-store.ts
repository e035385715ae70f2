import { evalCached } from "../infra/lua.js";
import type { AuditTrail } from "../audit/trail.js";
import { digestOf, EXCHANGE_FIELD, identityAt, KEY_ID_FIELD, SITE_FIELD } from "../infra/key-fields.js";
import { followerKeys } from "../infra/redis-keys.js";
import { randomUUID } from "node:crypto";
import { scanKeys, type RedisClient } from "../infra/redis.js";
import { keyTypeOf, maskApiKey, type ApiKeyFacts, type Credentials } from "../policy/api-key.js";
import type { EventOutbox } from "../events/outbox.js";
import { MOVE_STATUS, PURGE, SAVE_UNLESS_PANICKED, SET_IF_CURRENT } from "./credential-scripts.js";
import type { Sealer } from "../vault/sealer.js";
import {
  credentialKey,
  revealAt,
  sealContext,
  toRecord,
  type CredentialRecord,
  type CredentialStatus,
  type KeyOrigin,
} from "./credential-record.js";

// The record's shape and reading live there; importers of the store find them here too.
export * from "./credential-record.js";
import { createKeyHolders } from "./key-holders.js";

/** The key is held by another follower (or claimed by one at this very moment): shared, or leaked. Nothing was stored. */
export class KeyHeldElsewhere extends Error {
  constructor() {
    super("this key is held by another follower");
    this.name = "KeyHeldElsewhere";
  }
}

export interface CredentialStore {
  /**
   * Seals and stores the credential as the follower's current one, replacing any other in one step,
   * unless the follower sent /panic since `panicEpoch` was read (then null: nothing is stored).
   * Throws KeyHeldElsewhere when another follower holds the same key (one key, one follower).
   */
  save(
    userId: number,
    credentials: Credentials,
    origin: KeyOrigin,
    facts: ApiKeyFacts,
    connectedAt: number,
    panicEpoch: number,
  ): Promise<CredentialRecord | null>;
  /** How many times the follower has sent /panic: a flow reads it at its start, and saves only if it has not changed. */
  panicEpoch(userId: number): Promise<number>;
  /** Counts a /panic: any key under check from before it is not stored. */
  bumpPanicEpoch(userId: number): Promise<void>;
  current(userId: number): Promise<CredentialRecord | null>;
  /** Opens the sealed credential: the only way back to plaintext, for the moment a request is signed. */
  reveal(userId: number): Promise<{ record: CredentialRecord; credentials: Credentials } | null>;
  /** Whether the stored secret is sealed with a keyring entry the service still holds (nothing is decrypted). */
  isOpenable(userId: number): Promise<boolean>;
  /** Sets the status of the credential `ref`, if it is still the follower's current one. */
  setStatus(userId: number, ref: string, status: CredentialStatus): Promise<boolean>;
  /** Moves the credential `ref` from one status to another; false if it is not current or not in `from` (someone moved it first). */
  moveStatus(userId: number, ref: string, from: CredentialStatus, to: CredentialStatus): Promise<boolean>;
  /** Records that Telegram refused to deliver to the follower, on the credential `ref` if it is still current. */
  markUnreachable(userId: number, ref: string, at: number): Promise<void>;
  /** Deletes the credential, sealed secret and all, for good. */
  purge(userId: number): Promise<void>;
  /** Every follower's current credential, for maintenance sweeps. */
  all(): AsyncIterable<CredentialRecord>;
}

/** Counts the follower's /panic commands; a key checked before the latest one is never stored after it. */
const panicEpochKey = (userId: number) => followerKeys(userId).panicEpoch;

const outboxOf = (userId: number) => followerKeys(userId).outbox;

/** `events`: nudges the event relay after each change (without it, the relay's sweep finds the events). */
export function createCredentialStore(
  redis: RedisClient,
  sealer: Sealer,
  events?: EventOutbox,
  audit?: AuditTrail,
): CredentialStore {
  const holders = createKeyHolders(redis);
  async function moveStatus(
    userId: number,
    ref: string,
    from: CredentialStatus | "",
    to: CredentialStatus,
  ): Promise<boolean> {
    const moved =
      (await evalCached(redis, MOVE_STATUS, 2, credentialKey(userId), outboxOf(userId), ref, from, to, userId)) === 1;
    // The change is made: a failed nudge fails nothing (the relay's sweep finds the event).
    if (moved) await events?.nudge(userId).catch(() => undefined);
    return moved;
  }
  return {
    async save(userId, credentials, { exchange, site, baseUrl, origin }, facts, connectedAt, panicEpoch) {
      const record: CredentialRecord = {
        ref: randomUUID(),
        userId,
        exchange,
        site,
        baseUrl,
        keyType: keyTypeOf(credentials),
        exchangeKeyId: facts.id,
        name: facts.name,
        maskedKey: maskApiKey(credentials.apiKey),
        permissions: facts.permissions,
        createdAt: facts.createdAt,
        expiresAt: facts.expiresAt,
        connectedAt,
        storedAt: null,
        status: "active",
        unreachableSince: null,
        ...(origin ? { origin } : {}),
      };
      const plaintext = Buffer.from(JSON.stringify(credentials));
      const sealed = sealer.seal(plaintext, sealContext(userId, record));
      plaintext.fill(0);
      const fields = {
        ref: record.ref,
        userId: String(userId),
        keyType: record.keyType,
        [EXCHANGE_FIELD]: exchange,
        [SITE_FIELD]: site,
        baseUrl,
        [KEY_ID_FIELD]: record.exchangeKeyId,
        name: record.name,
        maskedKey: record.maskedKey,
        permissions: JSON.stringify(record.permissions),
        createdAt: String(record.createdAt),
        expiresAt: record.expiresAt === null ? "" : String(record.expiresAt),
        connectedAt: String(connectedAt),
        status: record.status,
        ...(origin ? { origin } : {}),
      };
      const pairs: (string | Buffer)[] = [...Object.entries(fields).flat(), "sealed", sealed];
      // Claimed in the index first, let go of only once the slot does not hold it: a crash between fails closed.
      const claim = await holders.claim(userId, record);
      if (claim === null) throw new KeyHeldElsewhere();
      const previous = await identityAt(redis, credentialKey(userId));
      let saved: unknown;
      try {
        saved = await evalCached(
          redis,
          SAVE_UNLESS_PANICKED,
          3,
          credentialKey(userId),
          panicEpochKey(userId),
          outboxOf(userId),
          String(panicEpoch),
          userId,
          ...pairs,
        );
      } catch (error) {
        await holders.release(userId, record, { token: claim }).catch(() => undefined);
        throw error;
      }
      if (typeof saved !== "number" || saved === 0) {
        await holders.release(userId, record, { token: claim });
        return null;
      }
      // Stored: a nudge that fails (Redis at its memory limit) fails nothing; the relay's sweep finds the event.
      await events?.nudge(userId).catch(() => undefined);
      if (previous && digestOf(previous) !== digestOf(record))
        await holders.release(userId, previous, "own").catch(() => undefined);
      return { ...record, storedAt: saved };
    },

    async panicEpoch(userId) {
      return Number((await redis.get(panicEpochKey(userId))) ?? 0);
    },

    async bumpPanicEpoch(userId) {
      await redis.incr(panicEpochKey(userId));
    },

    async current(userId) {
      return toRecord(await redis.hgetall(credentialKey(userId)));
    },

    reveal: (userId) => revealAt(redis, sealer, credentialKey(userId), userId),

    async isOpenable(userId) {
      const sealed = await redis.hgetBuffer(credentialKey(userId), "sealed");
      return sealed !== null && sealer.knowsKeyOf(sealed);
    },

    setStatus: (userId, ref, status) => moveStatus(userId, ref, "", status),
    moveStatus,

    async markUnreachable(userId, ref, at) {
      if (
        (await evalCached(redis, SET_IF_CURRENT, 1, credentialKey(userId), ref, "unreachableSince", String(at))) !== 1
      )
        return;
      const [name, maskedKey] = await redis.hmget(credentialKey(userId), "name", "maskedKey");
      await audit?.record({
        type: "follower-unreachable",
        userId,
        ref,
        name: name ?? undefined,
        maskedKey: maskedKey ?? undefined,
      });
    },

    async purge(userId) {
      const held = await identityAt(redis, credentialKey(userId));
      await evalCached(redis, PURGE, 2, credentialKey(userId), outboxOf(userId), userId);
      await events?.nudge(userId);
      if (held) await holders.release(userId, held, "own");
    },

    async *all() {
      // Every master's keys, on a Cluster.
      for await (const { keys } of scanKeys(redis, "follower:{*}:credential")) {
        for (const key of keys) {
          const record = toRecord(await redis.hgetall(key));
          if (record) yield record;
        }
      }
    },
  };
}
