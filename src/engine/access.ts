import { createAuditTrail, type AuditTrail } from "../audit/trail.js";
import type { RedisClient } from "../infra/redis.js";
import type { KeyType } from "../policy/api-key.js";
import { revealAt, type CredentialRecord, type CredentialStatus } from "../stores/credential-store.js";
import { createKeyDenylist, type KeyDenylist } from "../stores/denylist.js";
import { createIncidents, frozenBy, type Incidents } from "../stores/incident.js";
import { followerKeys } from "../infra/redis-keys.js";
import { SealError, type Sealer } from "../vault/sealer.js";

/**
 * How the trading engine opens a follower's key: only an active one, and only here. Usable from
 * another Node.js process with the same Redis (REDIS_URL) and keyring (SEAL_KEYS).
 */

/** What the engine may know of a key besides its secret. */
export type KeyFacts = Pick<
  CredentialRecord,
  | "ref"
  | "userId"
  | "exchange"
  | "site"
  | "keyType"
  | "exchangeKeyId"
  | "name"
  | "maskedKey"
  | "permissions"
  | "createdAt"
  | "expiresAt"
  | "origin"
>;

export type OpenedKey = {
  ok: true;
  /**
   * For the exchange in `facts.exchange`. Bybit: `new RestClientV5({ ...opened.client })`; an RSA key's
   * secret is its PEM private key, which bybit-api signs with as it is.
   */
  client: { key: string; secret: string };
  keyType: KeyType;
  /**
   * The API host to use the key with: its site's (Bybit: `new RestClientV5({ ...opened.client, baseUrl })`);
   * null for a key stored before sites were, which belongs to the exchange's main host.
   */
  baseUrl: string | null;
  facts: KeyFacts;
  /** Every order the engine places for this follower carries this prefix in its orderLinkId: what /panic's review tells apart from orders the follower did not make through us. */
  orderLinkIdPrefix: string;
};

/** Why a key was not opened: no key, not active (and how), or sealed with a keyring entry this process lacks. */
export type RefusedOpen = { ok: false; reason: "no-key" | Exclude<CredentialStatus, "active"> | "unopenable" };

export interface KeyAccess {
  /** The follower's key, if it is active; refuses anything else. Counted; a refusal is audited. */
  open(userId: number): Promise<OpenedKey | RefusedOpen>;
}

export interface KeyAccessOptions {
  redis: RedisClient;
  sealer: Sealer;
  orderLinkIdPrefix: string;
  /** Bybit keys denied as leaked (default: the denylist on this Redis): such a key is refused as frozen wherever it is stored. */
  denylist?: KeyDenylist;
  /** Where refusals are recorded (default: the audit trail on this Redis). */
  audit?: AuditTrail;
  /** The operator's freeze-all (default: on this Redis): a key stored before it is refused as frozen. */
  incidents?: Pick<Incidents, "current">;
  /** Where opens and refusals are counted (tests keep theirs apart). */
  openCounts?: string;
  /** The host of an exchange's site as this process is configured; default: the host that accepted the key. */
  baseUrlOf?: (exchange: string, site: string) => string | null;
}

export const OPEN_COUNTS = "{audit}:engine-opens";

export function createKeyAccess(options: KeyAccessOptions): KeyAccess {
  const {
    redis,
    sealer,
    orderLinkIdPrefix,
    audit = createAuditTrail(redis),
    openCounts = OPEN_COUNTS,
    denylist = createKeyDenylist(redis),
    incidents = createIncidents(redis),
  } = options;
  /**
   * A count for the operator, best effort: the answer is decided by reads alone, and a Redis that refuses
   * writes (at its memory limit) must not stop every follower's copying over a metric.
   */
  const count = (field: string) => redis.hincrby(openCounts, field, 1).catch(() => undefined);

  async function refuse(
    userId: number,
    reason: RefusedOpen["reason"],
    record: CredentialRecord | null,
    why?: "denied" | "incident",
  ): Promise<RefusedOpen> {
    await count(`refused:${reason}`);
    const details: Record<string, string> = why ? { reason, why } : { reason };
    await audit.record({
      type: "open-refused",
      userId,
      ref: record?.ref,
      maskedKey: record?.maskedKey,
      name: record?.name,
      details,
    });
    return { ok: false, reason };
  }

  return {
    async open(userId) {
      let opened;
      try {
        opened = await revealAt(redis, sealer, followerKeys(userId).credential, userId);
      } catch (error) {
        if (error instanceof SealError) return refuse(userId, "unopenable", null);
        throw error;
      }
      // No key in use: one frozen by /panic waits in a flow of its own, and is refused as such.
      if (!opened)
        return refuse(userId, (await redis.scard(followerKeys(userId).panics)) > 0 ? "frozen" : "no-key", null);
      const { record, credentials } = opened;
      if (record.status !== "active") return refuse(userId, record.status, record);
      // Denied as leaked (a copy of it frozen by /panic or the watch, here or in another slot): never handed out, whatever this slot says.
      const [denied, incident] = await Promise.all([denylist.has(record), incidents.current()]);
      if (denied) return refuse(userId, "frozen", record, "denied");
      // The operator froze every key (freeze-all): out of use from that moment, before the sweep reaches it.
      if (frozenBy(incident, record)) return refuse(userId, "frozen", record, "incident");
      await count("opened");
      const { ref, exchange, site, keyType, exchangeKeyId, name, maskedKey, permissions, createdAt, expiresAt } =
        record;
      return {
        ok: true,
        client: { key: credentials.apiKey, secret: credentials.apiSecret },
        keyType,
        baseUrl: options.baseUrlOf?.(exchange, site) ?? (record.baseUrl || null),
        facts: {
          ref,
          userId,
          exchange,
          site,
          keyType,
          exchangeKeyId,
          name,
          maskedKey,
          permissions,
          createdAt,
          expiresAt,
          ...(record.origin ? { origin: record.origin } : {}),
        },
        orderLinkIdPrefix,
      };
    },
  };
}
