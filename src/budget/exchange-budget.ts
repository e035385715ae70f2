import { rateKeyOf, type RateBudget } from "./rate-budget.js";

/** Whose request goes first when an exchange's budget is short: a /panic, then a follower waiting on a key check, then the key watch. */
export type RequestPriority = "panic" | "connect" | "watch";

/** How far each kind may run ahead of the even pace (ms): the watch only takes what nobody else wants. */
const HEAD_START_MS: Record<RequestPriority, number> = { panic: 1000, connect: 300, watch: 0 };

/** Key checks one follower may ask for (a paste, a revocation check): five in a minute, then one every 12 s. */
const FOLLOWER_CHECKS = { intervalMs: 12_000, toleranceMs: 48_000 };

/**
 * Searches over an exchange's sites one follower may set off (each asks every other site: nine Bybit
 * requests, not one): three at once, then one every ten minutes. Junk pasted again and again costs the
 * shared budget one request a check, as before sites, once the searches are spent.
 */
const FOLLOWER_SEARCHES = { intervalMs: 10 * 60_000, toleranceMs: 20 * 60_000 };

export interface ExchangeBudget {
  /** Waits for this request's turn in the service's budget, shared by every process. */
  beforeRequest(priority: RequestPriority): Promise<void>;
  /** Counts a key check for this follower: 0 if it may go now, else how many ms until it may. */
  followerCheck(userId: number): Promise<number>;
  /** Counts a search over the exchange's sites for this follower: 0 if it may go now, else ms until it may. */
  followerSearch(userId: number): Promise<number>;
}

/**
 * One request budget for an exchange (`exchangeId` names it in Redis), shared by every process. An
 * exchange bans an IP that asks too much (Bybit: ten minutes past 600 requests in 5 s), and the ban
 * would stop the service's trading too: the budget keeps to `requestsPer5s` on average, and with the
 * head starts no 5-second window holds more than that plus 60 (a /panic burst).
 */
export function createExchangeBudget(budget: RateBudget, exchangeId: string, requestsPer5s: number): ExchangeBudget {
  const intervalMs = 5000 / requestsPer5s;
  const prefix = `{${exchangeId}-budget}`;
  return {
    beforeRequest: (priority) =>
      budget.take(
        [{ key: `${prefix}:all`, intervalMs, toleranceMs: HEAD_START_MS[priority] }],
        undefined,
        priority === "watch" ? "yield" : "queue",
      ),
    followerCheck: (userId) => budget.tryTake([{ key: `${prefix}:follower:${rateKeyOf(userId)}`, ...FOLLOWER_CHECKS }]),
    followerSearch: (userId) =>
      budget.tryTake([{ key: `${prefix}:search:${rateKeyOf(userId)}`, ...FOLLOWER_SEARCHES }]),
  };
}
