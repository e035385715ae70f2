import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { maskApiKey, type ApiKeyFacts, type Credentials } from "../policy/api-key.js";
import type { Sealer } from "./sealer.js";

export type CredentialStatus = "active" | "expired" | "frozen";

/** The non-secret side of a stored credential: what `/status` shows and what jobs refer to. */
export interface CredentialRecord {
  /** Opaque id of this credential; the rest of the service refers to the key by it. */
  ref: string;
  userId: number;
  exchange: "bybit";
  bybitKeyId: string;
  name: string;
  maskedKey: string;
  permissions: Record<string, string[]>;
  createdAt: number;
  expiresAt: number | null;
  connectedAt: number;
  status: CredentialStatus;
}

export interface CredentialStore {
  /** Seals and stores the credential as the follower's current one, replacing any other in one step. */
  save(userId: number, credentials: Credentials, facts: ApiKeyFacts, connectedAt: number): Promise<CredentialRecord>;
  current(userId: number): Promise<CredentialRecord | null>;
  /** Opens the sealed credential: the only way back to plaintext, for the moment a request is signed. */
  reveal(userId: number): Promise<{ record: CredentialRecord; credentials: Credentials } | null>;
}

const EXCHANGE = "bybit";

/** The braces make a hash tag: everything about one follower lives in one Redis Cluster slot. */
export const credentialKey = (userId: number) => `follower:{${userId}}:credential`;

/** Associated data: a blob copied to another follower, key or purpose fails to open. */
const sealContext = (userId: number, bybitKeyId: string) =>
  `user=${userId}|exchange=${EXCHANGE}|bybitKey=${bybitKeyId}|purpose=api-credential`;

function toRecord(fields: Record<string, string>): CredentialRecord | null {
  if (!fields.ref) return null;
  return {
    ref: fields.ref,
    userId: Number(fields.userId),
    exchange: EXCHANGE,
    bybitKeyId: fields.bybitKeyId ?? "",
    name: fields.name ?? "",
    maskedKey: fields.maskedKey ?? "",
    permissions: JSON.parse(fields.permissions ?? "{}") as Record<string, string[]>,
    createdAt: Number(fields.createdAt),
    expiresAt: fields.expiresAt ? Number(fields.expiresAt) : null,
    connectedAt: Number(fields.connectedAt),
    status: (fields.status ?? "active") as CredentialStatus,
  };
}

export function createCredentialStore(redis: Redis, sealer: Sealer): CredentialStore {
  return {
    async save(userId, credentials, facts, connectedAt) {
      const record: CredentialRecord = {
        ref: randomUUID(),
        userId,
        exchange: EXCHANGE,
        bybitKeyId: facts.id,
        name: facts.name,
        maskedKey: maskApiKey(credentials.apiKey),
        permissions: facts.permissions,
        createdAt: facts.createdAt,
        expiresAt: facts.expiresAt,
        connectedAt,
        status: "active",
      };
      const plaintext = Buffer.from(JSON.stringify(credentials));
      const sealed = sealer.seal(plaintext, sealContext(userId, facts.id));
      plaintext.fill(0);
      const key = credentialKey(userId);
      await redis
        .multi()
        .del(key)
        .hset(key, {
          ref: record.ref,
          userId: String(userId),
          bybitKeyId: record.bybitKeyId,
          name: record.name,
          maskedKey: record.maskedKey,
          permissions: JSON.stringify(record.permissions),
          createdAt: String(record.createdAt),
          expiresAt: record.expiresAt === null ? "" : String(record.expiresAt),
          connectedAt: String(connectedAt),
          status: record.status,
          sealed,
        })
        .exec();
      return record;
    },

    async current(userId) {
      return toRecord(await redis.hgetall(credentialKey(userId)));
    },

    async reveal(userId) {
      // One read, so the record and its seal always belong together.
      const { sealed, ...raw } = await redis.hgetallBuffer(credentialKey(userId));
      const fields = Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, value.toString("utf8")]));
      const record = toRecord(fields);
      if (!record || !sealed) return null;
      const plaintext = sealer.open(sealed, sealContext(userId, record.bybitKeyId));
      const credentials = JSON.parse(plaintext.toString("utf8")) as Credentials;
      plaintext.fill(0);
      return { record, credentials };
    },
  };
}
