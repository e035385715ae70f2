import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.js";

/**
 * How a stored key names its exchange, the exchange's site and the exchange's id of it, in a record's
 * Redis hash (a follower's slot, a /panic flow). Records from before the exchange port have no
 * `exchange` or `site` field and keep the id under `bybitKeyId`: they are all Bybit's global site's,
 * and are read so for as long as they live; a record written again is written in the new names
 * (migrate on write).
 */
export const EXCHANGE_FIELD = "exchange";
export const SITE_FIELD = "site";
export const KEY_ID_FIELD = "exchangeKeyId";
const LEGACY_KEY_ID_FIELD = "bybitKeyId";
const LEGACY = { exchange: "bybit", site: "global" };

/** A key as the exchanges know it: which exchange and site, and its id there (not the key itself). */
export interface KeyIdentity {
  exchange: string;
  site: string;
  exchangeKeyId: string;
}

/** The identity in a record's fields (as HGETALL gives them); an empty id when the record holds none. */
export const identityIn = (fields: Record<string, string | undefined>): KeyIdentity => ({
  exchange: fields[EXCHANGE_FIELD] || LEGACY.exchange,
  site: fields[SITE_FIELD] || LEGACY.site,
  exchangeKeyId: fields[KEY_ID_FIELD] ?? fields[LEGACY_KEY_ID_FIELD] ?? "",
});

/** The identity stored at `hash`; null when it holds no key. */
export async function identityAt(redis: RedisClient, hash: string): Promise<KeyIdentity | null> {
  const names = [EXCHANGE_FIELD, SITE_FIELD, KEY_ID_FIELD, LEGACY_KEY_ID_FIELD];
  const values = await redis.hmget(hash, ...names);
  const identity = identityIn(Object.fromEntries(names.map((name, index) => [name, values[index] ?? undefined])));
  return identity.exchangeKeyId ? identity : null;
}

/** Lua: `exchangeOf(hash)`, `siteOf(hash)` and `keyIdOf(hash)`, read as `identityIn` reads them (false: no id). */
export const IDENTITY_LUA = `
local function fieldOr(hash, field, default)
  local value = redis.call("HGET", hash, field)
  if not value or value == "" then return default end
  return value
end
local function exchangeOf(hash) return fieldOr(hash, "${EXCHANGE_FIELD}", "${LEGACY.exchange}") end
local function siteOf(hash) return fieldOr(hash, "${SITE_FIELD}", "${LEGACY.site}") end
local function keyIdOf(hash)
  return redis.call("HGET", hash, "${KEY_ID_FIELD}") or redis.call("HGET", hash, "${LEGACY_KEY_ID_FIELD}")
end
`;

/**
 * Where a key's id is unique: its exchange's site ("bybit@tr"). A site's ids may repeat another
 * site's. Bybit's global site is plain "bybit", as every key was named before sites were.
 */
export const namespaceOf = ({ exchange, site }: Pick<KeyIdentity, "exchange" | "site">) =>
  exchange === LEGACY.exchange && site === LEGACY.site ? exchange : `${exchange}@${site}`;

/** What names a key in Redis outside its record (the denylist, the index of holders): a hash, never the id. */
export const digestOf = (key: KeyIdentity) =>
  createHash("sha256")
    .update(`${namespaceOf(key)}:${key.exchangeKeyId}`)
    .digest("hex");
