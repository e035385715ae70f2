import type { RedisClient } from "../infra/redis.js";
import type { Keyring } from "./keyring.js";

/**
 * Which keyring entries each running process holds (their ids only, in SEAL_KEYS order), so that
 * `rewrap` can refuse to re-seal with an entry some process cannot open, or before every process
 * seals with it. Each process writes its line every 30 s; a line older than 90 s is a process gone.
 */
export const KEYRING_PRESENCE = "{rewrap}:keyrings";
const EVERY_MS = 30_000;
const STALE_MS = 3 * EVERY_MS;

export interface LivingKeyring {
  process: string;
  /** Entry ids, the one it seals with first. */
  entries: string[];
}

export function announceKeyring(
  redis: RedisClient,
  keyring: Keyring,
  process: string,
  key = KEYRING_PRESENCE,
): { stop(): Promise<void> } {
  const line = () => JSON.stringify({ entries: [...keyring.byId.keys()], at: Date.now() });
  const announce = () => redis.hset(key, process, line()).catch(() => undefined);
  void announce();
  const timer = setInterval(announce, EVERY_MS).unref();
  return {
    async stop() {
      clearInterval(timer);
      await redis.hdel(key, process).catch(() => undefined);
    },
  };
}

/** The processes seen in the last 90 s; older lines are removed. */
export async function livingKeyrings(redis: RedisClient, key = KEYRING_PRESENCE): Promise<LivingKeyring[]> {
  const living: LivingKeyring[] = [];
  for (const [process, text] of Object.entries(await redis.hgetall(key))) {
    const { entries, at } = JSON.parse(text) as { entries: string[]; at: number };
    if (Date.now() - at > STALE_MS) await redis.hdel(key, process);
    else living.push({ process, entries });
  }
  return living;
}
