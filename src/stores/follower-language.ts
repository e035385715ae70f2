import type { RedisClient } from "../infra/redis.js";
import { followerKeys } from "../infra/redis-keys.js";

/**
 * The language Telegram says each follower uses, kept next to their other data (their hash
 * tag, so /forget deletes it in the same script), for what reaches them outside an update:
 * reminders, key-watch notices, a check cut short by a restart.
 */
export interface FollowerLanguages {
  /** As last seen, or null (never seen, or forgotten). */
  of(userId: number): Promise<string | null>;
  /** Stores it when it changed, as far as this process knows (an update arrives often; a language changes rarely). */
  remember(userId: number, languageCode: string): Promise<void>;
  /** After /forget: the next update stores it again. */
  forgetSeen(userId: number): void;
}

/** How long this process trusts that what it wrote is still there (another process may have run /forget). */
const SEEN_FOR_MS = 10 * 60_000;
const SEEN_MAX = 10_000;

export function createFollowerLanguages(redis: RedisClient): FollowerLanguages {
  const seen = new Map<number, { code: string; at: number }>();
  return {
    of: (userId) => redis.get(followerKeys(userId).language),
    async remember(userId, languageCode) {
      const code = languageCode.slice(0, 35);
      const last = seen.get(userId);
      const now = Date.now();
      if (last?.code === code && now - last.at < SEEN_FOR_MS) return;
      await redis.set(followerKeys(userId).language, code);
      seen.delete(userId);
      if (seen.size >= SEEN_MAX) seen.delete(seen.keys().next().value!);
      seen.set(userId, { code, at: now });
    },
    forgetSeen: (userId) => void seen.delete(userId),
  };
}
