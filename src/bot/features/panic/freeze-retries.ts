/**
 * Freezes that Redis refused (at its memory limit, or gone), tried again in this process every
 * `everyMs` for `forMs`. The follower has already been told to delete the key in Bybit, which stops
 * it for good whatever happens here; this makes the service's side follow as soon as it can, and says
 * so if it cannot. Kept in memory: a process that dies meanwhile leaves the follower with that advice
 * and "send /panic again", never with a promise nobody keeps silently.
 */
export interface FreezeRetries<T> {
  /** Tries `item` again later (once per key: a second call for the same key keeps the first). */
  keep(key: string, item: T): void;
}

export interface FreezeRetryOptions<T> {
  /** One more try: true when settled (frozen, or nothing left to freeze), false to try again. */
  attempt(item: T): Promise<boolean>;
  /** Past `forMs`: tell the follower. */
  gaveUp(item: T): Promise<void>;
  everyMs?: number;
  forMs?: number;
  clock?: () => number;
}

export function createFreezeRetries<T>(options: FreezeRetryOptions<T>): FreezeRetries<T> {
  const { everyMs = 1000, forMs = 10 * 60_000, clock = Date.now } = options;
  const waiting = new Map<string, { item: T; since: number }>();
  let timer: NodeJS.Timeout | undefined;
  let busy = false;

  async function round(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      for (const [key, { item, since }] of waiting) {
        if (await options.attempt(item).catch(() => false)) waiting.delete(key);
        else if (clock() - since > forMs) {
          waiting.delete(key);
          await options.gaveUp(item).catch(() => undefined);
        }
      }
    } finally {
      busy = false;
      if (waiting.size === 0) {
        clearInterval(timer);
        timer = undefined;
      }
    }
  }

  return {
    keep(key, item) {
      if (!waiting.has(key)) waiting.set(key, { item, since: clock() });
      timer ??= setInterval(() => void round(), everyMs).unref();
    },
  };
}
