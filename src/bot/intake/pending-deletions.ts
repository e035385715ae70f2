import type { RedisClient } from "../../infra/redis.js";
import type { MessageAddress } from "./carriers.js";

/** A deletion not settled yet: where the message is and since when we try. Never its content. */
export interface PendingDeletion {
  address: MessageAddress;
  since: number;
}

/**
 * Deletions under way, in Redis, so that one cut short by a restart or a crash is taken up
 * again by any bot process. Each entry is held by the process working on it until a time
 * (the sorted set's score); an entry whose hold has run out is free for anyone to claim.
 */
export interface PendingDeletions {
  hold(entry: PendingDeletion, until: number): Promise<void>;
  remove(entry: PendingDeletion): Promise<void>;
  /** Holds (until `until`) and returns up to `limit` entries whose hold ran out by `now`. */
  claimDue(now: number, until: number, limit: number): Promise<PendingDeletion[]>;
}

const PENDING_KEY = "{telegram-deletions}:pending";

/** KEYS: the set. ARGV: now, until, limit. */
const CLAIM_DUE = `
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, ARGV[3])
for _, member in ipairs(due) do redis.call("ZADD", KEYS[1], ARGV[2], member) end
return due`;

/** The member is the entry itself, spelt the same way every time so that it can be found again. */
const memberOf = ({ address: { chatId, messageId, businessConnectionId }, since }: PendingDeletion) =>
  JSON.stringify(businessConnectionId === undefined ? [chatId, messageId, since] : [chatId, messageId, since, businessConnectionId]);

function entryOf(member: string): PendingDeletion | null {
  try {
    const [chatId, messageId, since, businessConnectionId] = JSON.parse(member) as [number, number, number, string?];
    if (![chatId, messageId, since].every(Number.isSafeInteger)) return null;
    return { address: { chatId, messageId, ...(businessConnectionId === undefined ? {} : { businessConnectionId }) }, since };
  } catch {
    return null;
  }
}

/** `key` is another set where processes must not share theirs (tests sharing one Redis). */
export function createPendingDeletions(redis: RedisClient, key = PENDING_KEY): PendingDeletions {
  return {
    async hold(entry, until) {
      await redis.zadd(key, until, memberOf(entry));
    },
    async remove(entry) {
      await redis.zrem(key, memberOf(entry));
    },
    async claimDue(now, until, limit) {
      const members = (await redis.eval(CLAIM_DUE, 1, key, now, until, limit)) as string[];
      const entries: PendingDeletion[] = [];
      for (const member of members) {
        const entry = entryOf(member);
        // Not ours to read: dropped rather than retried for ever.
        if (entry) entries.push(entry);
        else await redis.zrem(key, member);
      }
      return entries;
    },
  };
}
