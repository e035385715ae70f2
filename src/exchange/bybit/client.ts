import { createHmac, createPrivateKey, sign as signWithKey } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { RestClientV5 } from "bybit-api";
import type { RequestPriority } from "../../budget/exchange-budget.js";
import { isPrivateKeyPem, type Credentials } from "../../policy/api-key.js";
import {
  ANSWERS_ABOUT_KEY,
  type AdapterOptions,
  type Exchange,
  type ExchangeProfile,
  type KeyInspection,
  type KeyReading,
} from "../port.js";
import {
  allPages,
  CONTRACT_SCOPES,
  expectSuccess,
  failureOf,
  FILL_CATEGORIES,
  RET_CODE_FAILURES,
  toFacts,
  toFill,
  toOrder,
  toPosition,
  type QueryApiResult,
  type Raw,
  type WalletBalanceResult,
} from "./answers.js";
import { findSite } from "./find-site.js";
import { bybitBrokerApp } from "./oauth.js";
import { sitesWith, type BybitSite } from "./sites.js";

/**
 * Bybit's two schemes over the same message: HMAC-SHA256 in hex, or RSA-SHA256 (PKCS#1 v1.5)
 * in base64. The private key is parsed once per key, not per request: parsing the PEM costs
 * three times the signature itself (1.2 ms against 0.4 ms of CPU here).
 */
function signerFor(secret: string): (message: string) => Promise<string> {
  if (!isPrivateKeyPem(secret)) return async (message) => createHmac("sha256", secret).update(message).digest("hex");
  const privateKey = createPrivateKey(secret);
  return async (message) => signWithKey("sha256", Buffer.from(message), privateKey).toString("base64");
}

const unavailable = { ok: false, failure: "unavailable" } as const;

/** Bybit's V5 API through bybit-api, on every site: each key on the host of its own. */
export function connectBybit(
  profile: ExchangeProfile,
  { baseUrl, siteUrls, timeoutMs, budget, observe }: AdapterOptions,
): Exchange {
  const sites = sitesWith(baseUrl, siteUrls);
  const siteById = new Map(sites.map((site) => [site.id, site]));
  // One pool of warm connections for every follower's client: a burst of connects should not pay a handshake each.
  const networkOptions = {
    timeout: timeoutMs,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  };
  /** A client for the key on the site's host; `sign` when the key is already parsed (a search over sites). */
  const clientFor = ({ apiKey, apiSecret }: Credentials, site: BybitSite, sign = signerFor(apiSecret)) =>
    new RestClientV5(
      { key: apiKey, secret: apiSecret, baseUrl: site.apiUrl, recv_window: 5000, customSignMessageFn: sign },
      networkOptions,
    );
  /** One request to Bybit, once the budget lets it go. */
  const request = async <T>(priority: RequestPriority, call: () => Promise<T>): Promise<T> => {
    await budget.beforeRequest(priority);
    const started = performance.now();
    try {
      const answer = await call();
      const retCode = (answer as { retCode?: number }).retCode ?? 0;
      observe?.(
        (performance.now() - started) / 1000,
        retCode === 0 ? "ok" : (RET_CODE_FAILURES[retCode] ?? "unavailable"),
      );
      return answer;
    } catch (thrown) {
      observe?.((performance.now() - started) / 1000, failureOf(thrown));
      throw thrown;
    }
  };
  async function queryKey(client: RestClientV5, priority: RequestPriority): Promise<KeyReading> {
    try {
      return {
        ok: true,
        key: toFacts(await expectSuccess<QueryApiResult>(request(priority, () => client.getQueryApiKey()))),
      };
    } catch (thrown) {
      return { ok: false, failure: failureOf(thrown) };
    }
  }
  /** The equity is a courtesy in the confirmation; a classic account or a hiccup must not refuse a good key. */
  const equityOf = (client: RestClientV5) =>
    expectSuccess<WalletBalanceResult>(
      request("connect", () => client.getWalletBalance({ accountType: "UNIFIED" })),
    ).then(
      (wallet) => wallet.list?.[0]?.totalEquity ?? null,
      () => null,
    );
  async function inspectAt(credentials: Credentials, site: BybitSite, appKey = false): Promise<KeyInspection> {
    if (site.refused && !appKey) return { ok: false, failure: "unsupported-site", site: site.id };
    const client = clientFor(credentials, site);
    const reading = await queryKey(client, "connect");
    if (!reading.ok) return reading;
    return { ok: true, key: reading.key, equityUsd: await equityOf(client), site: site.id };
  }
  const onSite = <T>(id: string, use: (site: BybitSite) => Promise<T>): Promise<T | typeof unavailable> => {
    const site = siteById.get(id);
    // A site this service does not know or serve (a table since changed, a testnet): nothing asked, nothing judged.
    return site ? use(site) : Promise.resolve(unavailable);
  };

  return {
    profile,
    inspectKey(credentials, site, options) {
      if (site !== undefined)
        return onSite(site, async (known) => {
          const named = await inspectAt(credentials, known, options?.issuedToApp);
          // What the named site's host said of the key names that site: unknown there is not unknown to Bybit.
          const said = !named.ok && ANSWERS_ABOUT_KEY.has(named.failure);
          return said ? { ...named, site: known.id } : named;
        });
      const sign = signerFor(credentials.apiSecret);
      return findSite(sites, {
        ...(options?.mayFindSite ? { mayFindSite: options.mayFindSite } : {}),
        ...(options?.issuedToApp ? { issuedToApp: true } : {}),
        inspectMain: () => inspectAt(credentials, sites[0]!, options?.issuedToApp),
        read: (other) => queryKey(clientFor(credentials, other, sign), "connect"),
        equity: (other) => equityOf(clientFor(credentials, other, sign)),
      });
    },

    snapshot: (credentials, since, site) => onSite(site, (known) => snapshot(clientFor(credentials, known), since)),

    readKey: (credentials, site) => onSite(site, (known) => queryKey(clientFor(credentials, known), "watch")),

    isKeyAlive: (credentials, site) =>
      onSite(site, async (known) => {
        const reading = await queryKey(clientFor(credentials, known), "panic");
        if (reading.ok) return { ok: true, alive: true };
        if (reading.failure === "invalid-key" || reading.failure === "expired") return { ok: true, alive: false };
        return reading;
      }),

    baseUrl: (site) => siteById.get(site)?.apiUrl ?? null,

    brokerApp: (app) => bybitBrokerApp(app, { budget, timeoutMs, observe }),
  };

  async function snapshot(client: RestClientV5, since: number) {
    try {
      const [positions, orders, fills] = await Promise.all([
        Promise.all(
          CONTRACT_SCOPES.map(async (scope) =>
            (
              await allPages<Raw>((cursor) =>
                request("panic", () => client.getPositionInfo({ ...scope, limit: 200, cursor })),
              )
            )
              .filter((raw) => Number(raw.size) > 0)
              .map((raw) => toPosition(scope.category, raw)),
          ),
        ),
        Promise.all(
          CONTRACT_SCOPES.map(async (scope) =>
            (
              await allPages<Raw>((cursor) =>
                request("panic", () => client.getActiveOrders({ ...scope, limit: 50, cursor })),
              )
            ).map((raw) => toOrder(scope.category, raw)),
          ),
        ),
        Promise.all(
          FILL_CATEGORIES.map(async (category) =>
            (
              await allPages<Raw>((cursor) =>
                request("panic", () => client.getExecutionList({ category, startTime: since, limit: 100, cursor })),
              )
            ).map((raw) => toFill(category, raw)),
          ),
        ),
      ]);
      return {
        ok: true as const,
        snapshot: { positions: positions.flat(), orders: orders.flat(), fills: fills.flat() },
      };
    } catch (thrown) {
      return { ok: false as const, failure: failureOf(thrown) };
    }
  }
}
