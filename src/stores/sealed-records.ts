import { evalCached } from "../infra/lua.js";
import { identityAt } from "../infra/key-fields.js";
import type { RedisClient } from "../infra/redis.js";
import { sealContext } from "./credential-store.js";
import { DEFAULT_POOL_KEY, pendingContext, poolContext } from "./key-pairs.js";
import { snapshotContext } from "./panic-store.js";
import { FLOW_STATE_PREFIX, sealedStorageContext } from "../vault/sealed-storage.js";

/**
 * Every sealed blob the service keeps, found from its Redis key: what it is sealed for (its
 * context) and how to put a re-sealed copy in its place. The replacement is a compare-and-set in
 * one script: it lands only if the blob is still the one that was read, so a record the bot
 * changed meanwhile is never overwritten with an older one.
 */
export interface SealedBlob {
  blob: Buffer;
  context: string;
  /** Puts `next` in place of the blob read; false when the record changed (or went) meanwhile. */
  replace(next: Buffer): Promise<boolean>;
}

/** KEYS: a hash. ARGV: field, the blob read, the new blob. */
const REPLACE_FIELD = `
if redis.call("HGET", KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** KEYS: a string key. ARGV: the value read, the new value. Keeps its time to live. */
const REPLACE_VALUE = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], ARGV[2], "KEEPTTL")
return 1`;

/** KEYS: a list. ARGV: the entry read, the new entry. */
const REPLACE_ENTRY = `
local index = redis.call("LPOS", KEYS[1], ARGV[1])
if not index then return 0 end
redis.call("LSET", KEYS[1], index, ARGV[2])
return 1`;

type Finder = (redis: RedisClient, key: string, match: RegExpExecArray) => Promise<SealedBlob[]>;

/** A sealed field of a hash, with the context made from the key's match and, when named, another field of the hash. */
const hashField =
  (field: string, contextOf: (match: RegExpExecArray, other: string) => string, otherField?: string): Finder =>
  async (redis, key, match) => {
    const [blob, other] = await redis.hmgetBuffer(key, field, ...(otherField ? [otherField] : []));
    if (!blob || (otherField && !other)) return [];
    return [
      {
        blob,
        context: contextOf(match, other?.toString() ?? ""),
        replace: async (next) => (await evalCached(redis, REPLACE_FIELD, 1, key, field, blob, next)) === 1,
      },
    ];
  };

/** Every finder's blobs at the key, together. */
const each =
  (...finders: Finder[]): Finder =>
  async (redis, key, match) =>
    (await Promise.all(finders.map((find) => find(redis, key, match)))).flat();

/** A stored key's seal, opened with its follower and its identity (either spelling: key-fields.ts). */
const keySeal: Finder = async (redis, key, match) => {
  const [blob, identity] = await Promise.all([redis.hgetBuffer(key, "sealed"), identityAt(redis, key)]);
  if (!blob || !identity) return [];
  return [
    {
      blob,
      context: sealContext(Number(match[1]), identity),
      replace: async (next) => (await evalCached(redis, REPLACE_FIELD, 1, key, "sealed", blob, next)) === 1,
    },
  ];
};

const KINDS: { pattern: RegExp; find: Finder }[] = [
  { pattern: /^follower:\{(\d+)\}:credential$/, find: keySeal },
  // A /panic flow holds the frozen key (moved whole from the slot, seal included) and what the account held.
  {
    pattern: /^follower:\{(\d+)\}:panic:(.+)$/,
    find: each(
      keySeal,
      hashField("snapshot", (m) => snapshotContext(Number(m[1]), m[2]!)),
    ),
  },
  {
    pattern: /^follower:\{(\d+)\}:pending-key-pair$/,
    find: hashField("sealed", (m, pairId) => pendingContext(Number(m[1]), pairId), "pairId"),
  },
  {
    pattern: new RegExp(`^${DEFAULT_POOL_KEY.replace(/[{}]/g, "\\$&")}$`),
    async find(redis, key) {
      const entries = await redis.lrange(key, 0, -1);
      return entries.map((entry) => {
        const { pairId, sealed } = JSON.parse(entry) as { pairId: string; sealed: string };
        return {
          blob: Buffer.from(sealed, "base64"),
          context: poolContext(pairId),
          replace: async (next: Buffer) =>
            (await evalCached(
              redis,
              REPLACE_ENTRY,
              1,
              key,
              entry,
              JSON.stringify({ ...JSON.parse(entry), sealed: next.toString("base64") }),
            )) === 1,
        };
      });
    },
  },
  {
    pattern: new RegExp(`^${FLOW_STATE_PREFIX}`),
    async find(redis, key) {
      // The storage adapter keeps the sealed base64 as a JSON string.
      const stored = await redis.get(key);
      if (stored === null) return [];
      return [
        {
          blob: Buffer.from(JSON.parse(stored) as string, "base64"),
          context: sealedStorageContext("conversation", key),
          replace: async (next) =>
            (await evalCached(redis, REPLACE_VALUE, 1, key, stored, JSON.stringify(next.toString("base64")))) === 1,
        },
      ];
    },
  },
];

/** The sealed blobs under `key` (none for a key that holds nothing sealed). */
export async function sealedBlobsAt(redis: RedisClient, key: string): Promise<SealedBlob[]> {
  for (const kind of KINDS) {
    const match = kind.pattern.exec(key);
    if (match) return kind.find(redis, key, match);
  }
  return [];
}
