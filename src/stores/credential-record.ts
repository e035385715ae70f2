import { followerKeys } from "../infra/redis-keys.js";
import { identityIn, namespaceOf, type KeyIdentity } from "../infra/key-fields.js";
import type { RedisClient } from "../infra/redis.js";
import type { Credentials, KeyType } from "../policy/api-key.js";
import type { Sealer } from "../vault/sealer.js";

/** A stored credential as the service reads it: its record, where it lives in Redis, and how its seal opens. */
/**
 * Only an "active" key is used. unreadable: sealed with a keyring entry the service no longer holds;
 * frozen: by /panic, or by the key watch when the key no longer passes; deleted: Bybit no longer knows it.
 */
export type CredentialStatus = "active" | "expired" | "frozen" | "unreadable" | "deleted";

/**
 * How a key came, when not the usual way (the follower made it and sent it): "oauth", issued by the
 * exchange to our broker app when the follower approved it (Connect with Bybit).
 */
export type KeyArrival = "oauth";

/** Where a key was found: its exchange, the site of it whose host knows it, and that host; and how it came. */
export interface KeyOrigin {
  exchange: string;
  site: string;
  /** The API host that accepted the key: told to the engine in the key's events. */
  baseUrl: string;
  /** Set when the key came other than pasted or made in the chat (KeyArrival). */
  origin?: KeyArrival;
}

/** The non-secret side of a stored credential: what `/status` shows and what jobs refer to. */
export interface CredentialRecord {
  /** Opaque id of this credential; the rest of the service refers to the key by it. */
  ref: string;
  userId: number;
  /** The exchange the key belongs to (the registry's id, e.g. "bybit"). */
  exchange: string;
  /** The exchange's site whose host knows the key (Bybit: "global", "tr", …). */
  site: string;
  /** The API host that accepted the key at connect; "" for a key stored before sites were. */
  baseUrl: string;
  /** hmac: a system-generated key and its secret; rsa: a self-generated key signed with a private key we made. */
  keyType: KeyType;
  /** The exchange's own id of the key (not the key itself). */
  exchangeKeyId: string;
  name: string;
  maskedKey: string;
  permissions: Record<string, string[]>;
  createdAt: number;
  expiresAt: number | null;
  connectedAt: number;
  /** When Redis stored it, on Redis' clock (TIME); null for a key stored before this was kept. */
  storedAt: number | null;
  status: CredentialStatus;
  /** When Telegram last refused to deliver to this follower (blocked the bot); null while reachable. */
  unreachableSince: number | null;
  /** How the key came, when not the usual way; absent on every record from before it was kept. */
  origin?: KeyArrival;
}

/** The braces make a hash tag: everything about one follower lives in one Redis Cluster slot. */
export const credentialKey = (userId: number) => followerKeys(userId).credential;

/**
 * Associated data: a blob copied to another follower, key or purpose fails to open. Spelt as it was
 * when Bybit's global site was the only one (`exchange=bybit|bybitKey=<id>`), so that every record
 * sealed then still opens.
 */
export const sealContext = (userId: number, key: KeyIdentity) =>
  `user=${userId}|exchange=${namespaceOf(key)}|${key.exchange}Key=${key.exchangeKeyId}|purpose=api-credential`;

/** A damaged permissions field reads as none granted: the record still shows, and no permission is assumed. */
function parsePermissions(text: string | undefined): Record<string, string[]> {
  try {
    const parsed: unknown = JSON.parse(text ?? "{}");
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, string[]>) : {};
  } catch {
    return {};
  }
}

export function toRecord(fields: Record<string, string>): CredentialRecord | null {
  if (!fields.ref) return null;
  return {
    ref: fields.ref,
    userId: Number(fields.userId),
    ...identityIn(fields),
    baseUrl: fields.baseUrl ?? "",
    keyType: fields.keyType === "rsa" ? "rsa" : "hmac",
    name: fields.name ?? "",
    maskedKey: fields.maskedKey ?? "",
    permissions: parsePermissions(fields.permissions),
    createdAt: Number(fields.createdAt),
    expiresAt: fields.expiresAt ? Number(fields.expiresAt) : null,
    connectedAt: Number(fields.connectedAt),
    storedAt: fields.storedAt ? Number(fields.storedAt) : null,
    status: (fields.status ?? "active") as CredentialStatus,
    unreachableSince: fields.unreachableSince ? Number(fields.unreachableSince) : null,
    ...(fields.origin === "oauth" ? { origin: "oauth" as const } : {}),
  };
}

/** The text fields of a hash read as buffers (read so because a sealed field beside them is binary). */
export const asText = (raw: Record<string, Buffer>): Record<string, string> =>
  Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, value.toString("utf8")]));

/** Opens the credential stored in the hash `key`: one read, so the record and its seal always belong together. */
export async function revealAt(
  redis: RedisClient,
  sealer: Sealer,
  key: string,
  userId: number,
): Promise<{ record: CredentialRecord; credentials: Credentials } | null> {
  const { sealed, ...raw } = await redis.hgetallBuffer(key);
  const record = toRecord(asText(raw));
  if (!record || !sealed) return null;
  const plaintext = sealer.open(sealed, sealContext(userId, record));
  const credentials = JSON.parse(plaintext.toString("utf8")) as Credentials;
  plaintext.fill(0);
  return { record, credentials };
}
