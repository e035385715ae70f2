import { evalCached } from "../../infra/lua.js";
import type { RedisClient } from "../../infra/redis.js";
import type { MessageAddress } from "./carriers.js";

/** A deletion not settled yet: where the message is and since when we try. Never its content. */
export interface PendingDeletion {
  address: MessageAddress;
  since: number;
}

/** An entry claimed from the set, and whether the follower was answered on the update that carried it. */
export interface ClaimedDeletion {
  entry: PendingDeletion;
  answered: boolean;
}

/**
 * Deletions under way, in Redis, so that one cut short by a restart or a crash is taken up
 * again by any bot process. Each entry is held by the process working on it until a time
 * (the sorted set's score); an entry whose hold has run out is free for anyone to claim.
 */
export interface PendingDeletions {
  hold(entry: PendingDeletion, until: number): Promise<void>;
  /** `hold` for many entries in one write. */
  holdAll(entries: PendingDeletion[], until: number): Promise<void>;
  remove(entry: PendingDeletion): Promise<void>;
  /** The update that carried it was answered (or handled): a process taking the entry up later only deletes. */
  markAnswered(entry: PendingDeletion): Promise<void>;
  /** Holds (until `until`) and returns up to `limit` entries whose hold ran out by `now`. */
  claimDue(now: number, until: number, limit: number): Promise<ClaimedDeletion[]>;
}

const PENDING_KEY = "{telegram-deletions}:pending";

/**
 * An entry stays until the deletion is settled AND the update that carried it was handled (or
 * its follower told): a crash in between leaves it for the sweeper, which then knows from the
 * answered set whether anyone has heard back. Both keys share the hash tag.
 */
const answeredKeyOf = (key: string) => `${key}:answered`;

/** KEYS: the set, the answered set. ARGV: now, until, limit. Members, each followed by 1 (answered) or 0. */
const CLAIM_DUE = `
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, ARGV[3])
local out = {}
for _, member in ipairs(due) do
  redis.call("ZADD", KEYS[1], ARGV[2], member)
  out[#out + 1] = member
  out[#out + 1] = redis.call("SISMEMBER", KEYS[2], member)
end
return out`;

/** KEYS: the set, the answered set. ARGV: the member. Only while the entry is pending: nothing is left behind. */
const MARK_ANSWERED = `
if redis.call("ZSCORE", KEYS[1], ARGV[1]) then redis.call("SADD", KEYS[2], ARGV[1]) end
return 0`;

/** KEYS: the set, the answered set. ARGV: the member. */
const REMOVE = `
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("SREM", KEYS[2], ARGV[1])
return 0`;

/** The member is the entry itself, spelt the same way every time so that it can be found again. */
const memberOf = ({ address: { chatId, messageId, businessConnectionId }, since }: PendingDeletion) =>
  JSON.stringify(
    businessConnectionId === undefined ? [chatId, messageId, since] : [chatId, messageId, since, businessConnectionId],
  );

function entryOf(member: string): PendingDeletion | null {
  try {
    const [chatId, messageId, since, businessConnectionId] = JSON.parse(member) as [number, number, number, string?];
    if (![chatId, messageId, since].every(Number.isSafeInteger)) return null;
    return {
      address: { chatId, messageId, ...(businessConnectionId === undefined ? {} : { businessConnectionId }) },
      since,
    };
  } catch {
    return null;
  }
}

/** `key` is another set where processes must not share theirs (tests sharing one Redis). */
export function createPendingDeletions(redis: RedisClient, key = PENDING_KEY): PendingDeletions {
  const answeredKey = answeredKeyOf(key);
  return {
    async hold(entry, until) {
      await redis.zadd(key, until, memberOf(entry));
    },
    async holdAll(entries, until) {
      if (entries.length > 0) await redis.zadd(key, ...entries.flatMap((entry) => [until, memberOf(entry)]));
    },
    async remove(entry) {
      await evalCached(redis, REMOVE, 2, key, answeredKey, memberOf(entry));
    },
    async markAnswered(entry) {
      await evalCached(redis, MARK_ANSWERED, 2, key, answeredKey, memberOf(entry));
    },
    async claimDue(now, until, limit) {
      const found = (await evalCached(redis, CLAIM_DUE, 2, key, answeredKey, now, until, limit)) as (string | number)[];
      const claimed: ClaimedDeletion[] = [];
      for (let i = 0; i < found.length; i += 2) {
        const member = String(found[i]);
        const entry = entryOf(member);
        // Not ours to read: dropped rather than retried for ever.
        if (entry) claimed.push({ entry, answered: found[i + 1] === 1 });
        else await redis.zrem(key, member);
      }
      return claimed;
    },
  };
}
