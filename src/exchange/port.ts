import type { ExchangeBudget } from "../budget/exchange-budget.js";
import type { AccountSnapshot } from "../policy/account.js";
import type { ApiKeyFacts, Credentials } from "../policy/api-key.js";
import type { PermissionRules } from "../policy/key-policy.js";

/**
 * The exchange port: what the service needs of an exchange, in its own terms. Each exchange is an
 * adapter in a folder of its own (`bybit/`), listed in `registry.ts`; nothing else speaks to it.
 * Every adapter passes the conformance suite (test/support/exchange-conformance.ts).
 */

/** Why the exchange gave no answer we can use. Never carries an SDK's error, which may hold the key and secret. */
export type ExchangeFailure =
  | "invalid-key"
  | "wrong-secret"
  | "ip-not-allowed"
  | "expired"
  | "clock-skew"
  | "rate-limited"
  | "timeout"
  | "unavailable"
  /** The exchange refuses this account's region or site the request (Bybit: 10009, 10024, 110132). */
  | "region-restricted"
  /** The key belongs to a site of the exchange that this service cannot serve (the profile's site says why). */
  | "unsupported-site";

/**
 * `site`: the exchange's site whose host knows the key; a failure names it when it was learned, or
 * when that site alone was asked (an "invalid-key" that names a site means: unknown there). A failure
 * that is no answer about the key (a timeout, …) names the site that did not answer while the main one
 * did not know the key. `searched: false`: only the main site was asked, as the search over the others
 * was not allowed now (InspectOptions.mayFindSite).
 */
/** Failures that are the exchange's answer about the key itself; any other is no answer about it (a timeout, …). */
export const ANSWERS_ABOUT_KEY: ReadonlySet<ExchangeFailure> = new Set([
  "invalid-key",
  "wrong-secret",
  "ip-not-allowed",
  "expired",
]);

export type KeyInspection =
  | { ok: true; key: ApiKeyFacts; equityUsd: string | null; site: string }
  | { ok: false; failure: ExchangeFailure; site?: string; searched?: false };

export interface InspectOptions {
  /** Asked only when the main site does not know the key: may the other sites be asked (counted if so)? */
  mayFindSite?: () => Promise<boolean>;
  /**
   * The key was issued to the operator's broker app (BrokerApp): a site that takes only listed apps'
   * keys (`SiteProfile.refused: "listed-apps-only"`) is no bar to it.
   */
  issuedToApp?: boolean;
}

export type SnapshotResult = { ok: true; snapshot: AccountSnapshot } | { ok: false; failure: ExchangeFailure };

/** Whether the exchange still accepts a key: not alive once it was deleted or has expired. */
export type KeyLiveness = { ok: true; alive: boolean } | { ok: false; failure: ExchangeFailure };

/** What the exchange says of a key (its permissions alone), for the key watch. */
export type KeyReading = { ok: true; key: ApiKeyFacts } | { ok: false; failure: ExchangeFailure };

/** One of an exchange's sites: an account registered there makes its keys there, and only its host knows them. */
export interface SiteProfile {
  id: string;
  /** As followers read it: "Bybit Turkey". */
  name: string;
  /** Where a follower of this site creates and deletes API keys. */
  apiManagementUrl: string;
  /** Set when this service cannot connect keys of this site, and why (the wording explains it). */
  refused?: "listed-apps-only";
}

/** What an exchange is, without speaking to it: pure facts, read by the wording and the policy too. */
export interface ExchangeProfile {
  /** Stored with every key and carried by every event: never changes once keys are stored under it. */
  id: string;
  /** As followers read it: "Bybit". */
  name: string;
  /** Where a follower creates and deletes API keys (on the main site). */
  apiManagementUrl: string;
  /** What a key's permissions may be (an allowlist). */
  permissionRules: PermissionRules;
  /** Its sites, the main one first; an exchange with one site lists just that one. */
  sites: readonly SiteProfile[];
}

export interface Exchange {
  readonly profile: ExchangeProfile;
  /**
   * What this key may do, then the account's equity (a courtesy: null when unknown). With `site`, asked
   * there alone; without, the adapter finds the site whose host knows the key.
   */
  inspectKey(credentials: Credentials, site?: string, options?: InspectOptions): Promise<KeyInspection>;
  /** What this key of `site` may do and nothing else, behind everyone else's requests. */
  readKey(credentials: Credentials, site: string): Promise<KeyReading>;
  /** Open positions and orders and the fills since `since`, every page of each. Read-only calls. */
  snapshot(credentials: Credentials, since: number, site: string): Promise<SnapshotResult>;
  isKeyAlive(credentials: Credentials, site: string): Promise<KeyLiveness>;
  /** The API host a key of `site` is used with (the trading engine's too); null for a site it does not know. */
  baseUrl(site: string): string | null;
  /** The exchange's OAuth for brokers, for the operator's app; absent where the exchange has none. */
  brokerApp?(app: BrokerAppSettings): BrokerApp;
}

/** The operator's app at the exchange's OAuth for brokers (its id and secret, and where to reach it). */
export interface BrokerAppSettings {
  clientId: string;
  clientSecret: string;
  /** Where the follower's browser approves the app. */
  authorizeUrl: string;
  /** Where the code is exchanged and the key fetched, server to server. */
  apiRoot: string;
}

/**
 * Why no key came of an approval: the exchange refused the code (used, expired, not ours) or the app,
 * or gave no usable answer. Never carries a body: the exchange's answers hold tokens and secrets.
 */
export type AppFailure = "code-refused" | "rate-limited" | "timeout" | "unavailable";

/** A key the exchange made for the follower who approved the app: its key and secret, in memory only. */
export type IssuedKey = { ok: true; credentials: Credentials } | { ok: false; failure: AppFailure };

/**
 * "Connect with <exchange>": the follower approves the operator's app on the exchange's page, and the
 * exchange makes a key for it (its permissions and IP binding are the app's), handed over for a code.
 */
export interface BrokerApp {
  /** The approval page, for a browser: `state` comes back with the code, to `redirectUri`. */
  authorizeUrl(state: string, redirectUri: string): string;
  /** The code exchanged once, the key fetched with the token, the token forgotten: the key and its secret. */
  issuedKey(code: string): Promise<IssuedKey>;
}

/** How the service reaches an exchange: from the settings (`src/config.ts`). */
export interface ExchangeSettings {
  /** The main site's API host. */
  baseUrl: string;
  /** Other sites' API hosts, by site id, where they differ from the adapter's own table. */
  siteUrls?: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** The service's share of the exchange's request limit, in every process together. */
  requestsPer5s: number;
}

export interface AdapterOptions extends ExchangeSettings {
  /** Every request waits for its turn here first. */
  budget: ExchangeBudget;
  /** Each request's time and outcome, once the budget let it go. */
  observe?: (seconds: number, outcome: string) => void;
}

/** One exchange, as the registry lists it. */
export interface ExchangeAdapter {
  profile: ExchangeProfile;
  connect(options: AdapterOptions): Exchange;
}
