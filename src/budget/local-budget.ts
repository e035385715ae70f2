import { budgetOver, type AskBudget, type RateBudget } from "./rate-budget.js";

/**
 * The same GCRA as the shared budget (rate-budget.ts), kept in this process alone: what a process
 * paces its sends by while Redis cannot keep the shared one. Buckets are forgotten once they hold
 * nothing (their next free moment has passed by more than a second).
 */
export function askLocally(clock: () => number = Date.now): AskBudget {
  const arrivals = new Map<string, number>();
  let lastSweep = 0;
  return async (buckets, book) => {
    const now = clock();
    if (now - lastSweep > 10_000) {
      lastSweep = now;
      for (const [key, at] of arrivals) if (at + 1000 < now) arrivals.delete(key);
    }
    const known = buckets.map((bucket) => Math.max(arrivals.get(bucket.key) ?? now, now));
    const start = buckets.reduce((latest, bucket, index) => Math.max(latest, known[index]! - bucket.toleranceMs), now);
    if (start > now && !book) return Math.ceil(start - now);
    buckets.forEach((bucket, index) => arrivals.set(bucket.key, Math.max(known[index]!, start) + bucket.intervalMs));
    return Math.ceil(start - now);
  };
}

/** Why a send was paced locally: Redis refused the budget script (at its memory limit, say) or was too slow to answer. */
export type FallbackReason = "refused" | "slow";

export interface FallbackOptions {
  /** BUDGET_ANSWER_WITHIN_MS: an answer slower than this counts as a fault. */
  answerWithinMs: number;
  /** Called once per question Redis failed (a metric). */
  fellBack: (reason: FallbackReason) => void;
  /** How long after a fault the process keeps pacing locally before it asks Redis again. */
  retryAfterMs?: number;
  clock?: () => number;
}

const RETRY_SHARED_AFTER_MS = 1000;

/**
 * The shared budget, or, for the length of a Redis fault, a local one at the same rate: sending
 * goes on when the budget's write fails (Redis at its memory limit, a failover, an outage) instead
 * of every send failing at once. While it lasts, each process keeps the rates on its own, so
 * several processes together may go over Telegram's limits: Telegram then answers 429, which the
 * send path waits out. A slow answer that arrives after all has booked a moment nobody uses.
 */
export function withLocalFallback(shared: AskBudget, options: FallbackOptions): RateBudget {
  const clock = options.clock ?? Date.now;
  const local = askLocally(clock);
  const retryAfterMs = options.retryAfterMs ?? RETRY_SHARED_AFTER_MS;
  let localUntil = 0;
  const ask: AskBudget = async (buckets, book) => {
    if (clock() < localUntil) return local(buckets, book);
    const answer = await withinTime(shared(buckets, book), options.answerWithinMs);
    if (typeof answer === "number") return answer;
    options.fellBack(answer.fault);
    localUntil = clock() + retryAfterMs;
    return local(buckets, book);
  };
  return budgetOver(ask);
}

function withinTime(answer: Promise<number>, ms: number): Promise<number | { fault: FallbackReason }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ fault: "slow" }), ms);
    answer.then(
      (wait) => {
        clearTimeout(timer);
        resolve(wait);
      },
      () => {
        clearTimeout(timer);
        resolve({ fault: "refused" });
      },
    );
  });
}
