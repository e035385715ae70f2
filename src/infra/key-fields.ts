import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.js";

/**
 * How a stored key names its exchange and the exchange's id of it, in a record's Redis hash (a
 * follower's slot, a /panic flow). Records from before the exchange port have no `exchange` field
 * and keep the id under `bybitKeyId`: they are all Bybit's, and are read so for as long as they
 * live; a record written again is written in the new names (migrate on write).
 */
export const EXCHANGE_FIELD = "exchange";
export const KEY_ID_FIELD = "exchangeKeyId";
const LEGACY_KEY_ID_FIELD = "bybitKeyId";
const LEGACY_EXCHANGE = "bybit";

/** A key as the exchanges know it: which exchange, and its id there (not the key itself). */
export interface KeyIdentity {
  exchange: string;
  exchangeKeyId: string;
}

/** The identity in a record's fields (as HGETALL gives them); an empty id when the record holds none. */
export const identityIn = (fields: Record<string, string | undefined>): KeyIdentity => ({
  exchange: fields[EXCHANGE_FIELD] || LEGACY_EXCHANGE,
  exchangeKeyId: fields[KEY_ID_FIELD] ?? fields[LEGACY_KEY_ID_FIELD] ?? "",
});

/** The identity stored at `hash`; null when it holds no key. */
export async function identityAt(redis: RedisClient, hash: string): Promise<KeyIdentity | null> {
  const [exchange, id, legacyId] = await redis.hmget(hash, EXCHANGE_FIELD, KEY_ID_FIELD, LEGACY_KEY_ID_FIELD);
  const identity = identityIn({
    [EXCHANGE_FIELD]: exchange ?? undefined,
    [KEY_ID_FIELD]: id ?? undefined,
    [LEGACY_KEY_ID_FIELD]: legacyId ?? undefined,
  });
  return identity.exchangeKeyId ? identity : null;
}

/** Lua: `exchangeOf(hash)` and `keyIdOf(hash)`, read as `identityIn` reads them (false: no id). */
export const IDENTITY_LUA = `
local function exchangeOf(hash)
  local exchange = redis.call("HGET", hash, "${EXCHANGE_FIELD}")
  if not exchange or exchange == "" then return "${LEGACY_EXCHANGE}" end
  return exchange
end
local function keyIdOf(hash)
  return redis.call("HGET", hash, "${KEY_ID_FIELD}") or redis.call("HGET", hash, "${LEGACY_KEY_ID_FIELD}")
end
`;

/**
 * What names a key in Redis outside its record (the denylist, the index of holders): a hash of its
 * identity, never the id itself. The same for a record of before the port: "bybit:<id>".
 */
export const digestOf = ({ exchange, exchangeKeyId }: KeyIdentity) =>
  createHash("sha256").update(`${exchange}:${exchangeKeyId}`).digest("hex");
