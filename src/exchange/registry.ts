import type { ExchangeBudget } from "../budget/exchange-budget.js";
import { bybit } from "./bybit/index.js";
import type { Exchange, ExchangeAdapter, ExchangeProfile, ExchangeSettings } from "./port.js";

/**
 * Every exchange the service can speak to, by the id stored with each key. A second exchange is a
 * folder beside `bybit/` (an adapter that passes the conformance suite) and one line here.
 */
export const ADAPTERS = {
  bybit,
} as const satisfies Record<string, ExchangeAdapter>;

export type ExchangeId = keyof typeof ADAPTERS;

/** Where followers connect when they do not choose. */
export const DEFAULT_EXCHANGE: ExchangeId = "bybit";

/** Settings per exchange, as `src/config.ts` reads them from the environment. */
export type ExchangeSettingsById = Record<ExchangeId, ExchangeSettings>;

/** The exchanges, connected; a stored key names the one it belongs to. */
export interface Exchanges {
  /** The one a new key is checked with. */
  main: Exchange;
  /**
   * The exchange a stored key belongs to. For an id this service does not know, one that answers
   * every question with "unavailable": nothing is judged, frozen or cleared on a guess (fail closed).
   */
  of(id: string): Exchange;
  /** Counts a key check for this follower, whatever the exchange: 0 if it may go now, else ms to wait. */
  followerCheck(userId: number): Promise<number>;
  /** Whether this follower may set off one more search over the main exchange's sites now (counted if so). */
  mayFindSite(userId: number): Promise<boolean>;
}

const unavailable = { ok: false, failure: "unavailable" } as const;
const unknownExchange = (id: string): Exchange => ({
  profile: { ...profileOf(id), id, sites: [] },
  inspectKey: async () => unavailable,
  readKey: async () => unavailable,
  snapshot: async () => unavailable,
  isKeyAlive: async () => unavailable,
  baseUrl: () => null,
});

const known = (id: string): id is ExchangeId => Object.hasOwn(ADAPTERS, id);

/** Static facts of an exchange, without a connection (the wording's links, the policy's rules). */
export const profileOf = (id: string): ExchangeProfile => ADAPTERS[known(id) ? id : DEFAULT_EXCHANGE].profile;

export function connectExchanges(
  settings: ExchangeSettingsById,
  budgetFor: (id: ExchangeId, requestsPer5s: number) => ExchangeBudget,
  observe?: (exchange: ExchangeId, seconds: number, outcome: string) => void,
): Exchanges {
  const connected = new Map<string, { exchange: Exchange; budget: ExchangeBudget }>();
  for (const id of Object.keys(ADAPTERS) as ExchangeId[]) {
    const budget = budgetFor(id, settings[id].requestsPer5s);
    const exchange = ADAPTERS[id].connect({
      ...settings[id],
      budget,
      observe: observe && ((seconds, outcome) => observe(id, seconds, outcome)),
    });
    connected.set(id, { exchange, budget });
  }
  return {
    main: connected.get(DEFAULT_EXCHANGE)!.exchange,
    of: (id) => connected.get(id)?.exchange ?? unknownExchange(id),
    followerCheck: (userId) => connected.get(DEFAULT_EXCHANGE)!.budget.followerCheck(userId),
    mayFindSite: async (userId) => (await connected.get(DEFAULT_EXCHANGE)!.budget.followerSearch(userId)) === 0,
  };
}
