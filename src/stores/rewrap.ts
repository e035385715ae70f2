import { scanKeys, type RedisClient } from "../infra/redis.js";
import { sealedBlobsAt, type SealedBlob } from "./sealed-records.js";
import { SealError, type Sealer } from "../vault/sealer.js";

/**
 * Keyring rotation's second half: every sealed record re-sealed with the newest keyring entry,
 * so that older entries can be retired. Only the wrapped data key changes; the payload is never
 * decrypted. Safe while the bot runs (each replacement is a compare-and-set: a record changed
 * meanwhile is read again), and resumable: where the walk stands is kept in Redis after every
 * batch, so a run that was stopped or killed goes on from there.
 */

export const REWRAP_STATE = "{rewrap}:state";

export interface RewrapCounts {
  /** Redis keys looked at. */
  looked: number;
  resealed: number;
  /** Already sealed with the newest entry. */
  alreadyNew: number;
  /** Changed by the service every time they were read: left for the next run. */
  changedMeanwhile: number;
  /** Sealed with an entry this keyring lacks, or damaged: nothing can re-seal them. */
  unopenable: number;
}

export interface RewrapOptions {
  redis: RedisClient;
  sealer: Sealer;
  /** The newest keyring entry: the one every record should end up sealed with. */
  newestEntry: string;
  stateKey?: string;
  /** Keys asked of each SCAN step: one batch. */
  batch?: number;
  /** Once it knows where it starts (Redis answered); then after each batch, with the counts so far (a resumed run's included). */
  onStart?(): Promise<void>;
  onProgress?(counts: RewrapCounts): void;
}

export interface RewrapRun {
  counts: RewrapCounts;
  /** When the run it went on from began (null: it began now). */
  resumedFrom: { startedAt: number; looked: number } | null;
}

const COUNTS = ["looked", "resealed", "alreadyNew", "changedMeanwhile", "unopenable"] as const;
/** Reads of one key before it counts as changing too fast: the bot writes a record a few times a flow at most. */
const TRIES = 3;

export async function rewrapAll(options: RewrapOptions): Promise<RewrapRun> {
  const { redis, sealer, newestEntry } = options;
  const stateKey = options.stateKey ?? REWRAP_STATE;
  const saved = await redis.hgetall(stateKey);
  // A walk begun for another newest entry is of no use: start again.
  const resuming = saved.entry === newestEntry;
  if (!resuming) await redis.del(stateKey);
  const counts = Object.fromEntries(
    COUNTS.map((name) => [name, resuming ? Number(saved[name] ?? 0) : 0]),
  ) as unknown as RewrapCounts;
  const startedAt = resuming ? Number(saved.startedAt) : Date.now();
  if (!resuming) await redis.hset(stateKey, { entry: newestEntry, startedAt });
  await options.onStart?.();
  const cursors = new Map(
    Object.entries(saved).flatMap(([field, value]) =>
      resuming && field.startsWith("cursor:") ? [[field.slice(7), value]] : [],
    ),
  );

  /** One blob: re-sealed in place, or why not ("changed": read the key again). */
  async function reseal(found: SealedBlob): Promise<keyof RewrapCounts | "changed"> {
    try {
      if (sealer.keyIdOf(found.blob) === newestEntry) return "alreadyNew";
      if (!sealer.knowsKeyOf(found.blob)) return "unopenable";
      return (await found.replace(sealer.rewrap(found.blob, found.context))) ? "resealed" : "changed";
    } catch (error) {
      if (error instanceof SealError) return "unopenable";
      throw error;
    }
  }

  async function resealKey(key: string): Promise<void> {
    // What an earlier try re-sealed, the next one reads as already new: it is counted as re-sealed.
    let resealedBefore = 0;
    for (let attempt = 1; ; attempt += 1) {
      const outcomes = await Promise.all((await sealedBlobsAt(redis, key)).map(reseal));
      if (!outcomes.includes("changed") || attempt === TRIES) {
        for (const outcome of outcomes) counts[outcome === "changed" ? "changedMeanwhile" : outcome] += 1;
        const recounted = Math.min(resealedBefore, counts.alreadyNew);
        counts.alreadyNew -= recounted;
        counts.resealed += recounted;
        return;
      }
      resealedBefore += outcomes.filter((outcome) => outcome === "resealed").length;
    }
  }

  for await (const { keys, node, cursor } of scanKeys(redis, "*", { count: options.batch ?? 500, from: cursors })) {
    await Promise.all(keys.map(resealKey));
    counts.looked += keys.length;
    await redis.hset(stateKey, { [`cursor:${node}`]: cursor, ...counts });
    options.onProgress?.(counts);
  }
  await redis.del(stateKey);
  return { counts, resumedFrom: resuming ? { startedAt, looked: Number(saved.looked ?? 0) } : null };
}

/** How many sealed records each keyring entry sealed, read from the blobs' headers (nothing decrypted). */
export async function countByEntry(redis: RedisClient, sealer: Sealer): Promise<Map<string, number>> {
  const byEntry = new Map<string, number>();
  for await (const { keys } of scanKeys(redis, "*", { count: 1000 })) {
    const found = (await Promise.all(keys.map((key) => sealedBlobsAt(redis, key)))).flat();
    for (const { blob } of found) {
      let entry: string;
      try {
        entry = sealer.keyIdOf(blob);
      } catch {
        entry = "(damaged)";
      }
      byEntry.set(entry, (byEntry.get(entry) ?? 0) + 1);
    }
  }
  return byEntry;
}
