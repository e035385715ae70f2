import { createHmac, createPublicKey, randomInt, timingSafeEqual, verify } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiKeyFacts } from "../../src/policy/api-key.js";
import { randomAlphanumeric } from "./canaries.js";
import { listen, readBody, sendJson } from "./http-json.js";

/**
 * A local Bybit V5 REST server for the endpoints the bot calls. It authenticates like Bybit:
 * a signature over `timestamp + apiKey + recvWindow + queryString|body`, HMAC-SHA256 in hex
 * for system-generated keys, RSA-SHA256 in base64 checked against the registered public key
 * for self-generated ones, and the recv window rule `serverTime - recvWindow <= timestamp < serverTime + 1000`.
 */

export interface FakePosition {
  category: "linear" | "inverse";
  settleCoin?: "USDT" | "USDC";
  symbol: string;
  side: "Buy" | "Sell";
  size: string;
  avgPrice: string;
  markPrice: string;
  unrealisedPnl: string;
  leverage: string;
  liqPrice: string;
}

export interface FakeOrder {
  category: "linear" | "inverse";
  settleCoin?: "USDT" | "USDC";
  symbol: string;
  side: "Buy" | "Sell";
  orderType: "Limit" | "Market";
  price: string;
  qty: string;
  orderLinkId: string;
}

export interface FakeFill {
  category: "linear" | "inverse";
  symbol: string;
  side: "Buy" | "Sell";
  execQty: string;
  execPrice: string;
  execTime: number;
  orderLinkId: string;
}

/** What the account behind a key holds: belongs to the account, so it outlives the key. */
export interface FakeAccount {
  positions: FakePosition[];
  orders: FakeOrder[];
  fills: FakeFill[];
}

export interface FakeKeyOptions {
  apiKey: string;
  /** A system-generated key's secret: requests are signed with HMAC. */
  apiSecret?: string;
  /** A self-generated key: the public key as the follower pasted it; requests are signed with its private key. */
  rsaPublicKey?: string;
  note?: string;
  permissions?: Record<string, string[]>;
  readOnly?: boolean;
  ips?: string[];
  createdAt?: number;
  /** null: Bybit reports no expiry (IP-bound keys). Defaults to createdAt + 90 days for unbound keys. */
  expiredAt?: number | null;
  uta?: 0 | 1;
  totalEquity?: string;
  account?: FakeAccount;
  /** query-api's `type`: 1 a personal key, 2 a key made for a third-party app (Bybit's OAuth for brokers). */
  type?: 1 | 2;
}

interface FakeKey extends Required<Omit<FakeKeyOptions, "expiredAt" | "apiSecret" | "rsaPublicKey">> {
  id: string;
  expiredAt: number | null;
  apiSecret: string | null;
  rsaPublicKey: string | null;
}

export interface BybitRequest {
  path: string;
  apiKey: string | undefined;
  at: number;
}

const DAY = 86_400_000;
const ALL_CATEGORIES = [
  "ContractTrade",
  "Spot",
  "Wallet",
  "Options",
  "Derivatives",
  "Exchange",
  "Earn",
  "FiatP2P",
  "FiatBybitPay",
  "FiatConvertBroker",
  "BlockTrade",
  "Affiliate",
];

export const TRADE_ONLY = { ContractTrade: ["Order", "Position"] };

/** What Bybit says of a healthy trade-only key, as a store saves it without asking: made now, expiring in 90 days unless told. */
export function tradeOnlyFacts(facts: Pick<ApiKeyFacts, "id" | "name"> & Partial<ApiKeyFacts>): ApiKeyFacts {
  const createdAt = facts.createdAt ?? Date.now();
  return {
    readOnly: false,
    permissions: TRADE_ONLY,
    ips: [],
    createdAt,
    expiresAt: createdAt + 90 * DAY,
    unifiedAccount: true,
    rsaPublicKey: null,
    ...facts,
  };
}

export class FakeBybit {
  readonly requests: BybitRequest[] = [];
  /** "hang": accept the request and never answer; "server-error": answer 502 like a broken gateway. */
  mode: "normal" | "hang" | "server-error" = "normal";
  /** The address Bybit sees our requests come from. */
  requestIp = "203.0.113.10";
  /** Awaited before each answer: lets a test look at the world at the moment Bybit is asked, or slow Bybit down. */
  beforeAnswer?: (request: BybitRequest) => Promise<void>;
  private readonly keys = new Map<string, FakeKey>();
  // Bybit key ids are unique across Bybit: test files share one Redis (and its denylist), so each fake starts somewhere else.
  private nextId = randomInt(1_000_000, 2 ** 40);
  private server?: Awaited<ReturnType<typeof listen>>;

  /** Where the fake listens, once started. */
  get url(): string {
    return this.server!.url;
  }

  async start(): Promise<string> {
    this.server = await listen((request, response) => void this.handle(request, response));
    return this.server.url;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  addKey(options: FakeKeyOptions): FakeKey {
    const createdAt = options.createdAt ?? Date.now() - DAY;
    const ips = options.ips ?? [];
    const key: FakeKey = {
      id: String(this.nextId++),
      note: "copy-trade-2026",
      permissions: TRADE_ONLY,
      readOnly: false,
      uta: 1,
      type: 1,
      totalEquity: "1234.5",
      account: { positions: [], orders: [], fills: [] },
      ips,
      createdAt,
      apiSecret: null,
      rsaPublicKey: null,
      ...options,
      expiredAt: options.expiredAt !== undefined ? options.expiredAt : ips.length === 0 ? createdAt + 90 * DAY : null,
    };
    this.keys.set(key.apiKey, key);
    return key;
  }

  /** Bybit's "Self-generated API Keys" dialog: the follower pastes a public key and gets an API key back. */
  createSelfGeneratedKey(
    rsaPublicKey: string,
    options: Omit<FakeKeyOptions, "apiKey" | "apiSecret" | "rsaPublicKey"> = {},
  ): FakeKey {
    return this.addKey({ ...options, apiKey: randomAlphanumeric(18), rsaPublicKey });
  }

  /** What deleting the key in Bybit's web page does: it stops authenticating at once. */
  revoke(apiKey: string): void {
    this.keys.delete(apiKey);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://bybit.local");
    const body = await readBody(request);
    const apiKey = request.headers["x-bapi-api-key"] as string | undefined;
    const recorded: BybitRequest = { path: url.pathname, apiKey, at: performance.now() };
    this.requests.push(recorded);
    await this.beforeAnswer?.(recorded);
    if (this.mode === "hang") return;
    if (this.mode === "server-error") {
      response.writeHead(502, { "content-type": "text/html" });
      response.end("<html><body>502 Bad Gateway</body></html>");
      return;
    }

    const auth = this.authenticate(request, request.method === "GET" ? url.search.slice(1) : body);
    if (typeof auth === "number") return this.reply(response, auth);
    switch (url.pathname) {
      case "/v5/user/query-api":
        return this.reply(response, 0, this.keyInfo(auth));
      case "/v5/account/wallet-balance":
        if (url.searchParams.get("accountType") !== "UNIFIED" || auth.uta !== 1) {
          return this.reply(response, 10001, undefined, "accountType only support UNIFIED.");
        }
        return this.reply(response, 0, { list: [{ accountType: "UNIFIED", totalEquity: auth.totalEquity, coin: [] }] });
      case "/v5/position/list":
        return this.page(response, url.searchParams, auth.account.positions, { max: 200, needsScope: true });
      case "/v5/order/realtime":
        return this.page(response, url.searchParams, auth.account.orders, { max: 50, needsScope: true });
      case "/v5/execution/list": {
        const start = Number(url.searchParams.get("startTime") ?? Date.now() - 7 * DAY);
        const fills = auth.account.fills.filter((fill) => fill.execTime >= start && fill.execTime < start + 7 * DAY);
        return this.page(response, url.searchParams, fills, { max: 100, needsScope: false });
      }
      default:
        return sendJson(response, 404, { retCode: 404, retMsg: "Not Found" });
    }
  }

  /** Bybit's list endpoints: filtered by category (and settle coin), `limit` per page, an opaque `nextPageCursor`. */
  private page(
    response: ServerResponse,
    params: URLSearchParams,
    items: { category: string; settleCoin?: string }[],
    { max, needsScope }: { max: number; needsScope: boolean },
  ): void {
    const category = params.get("category");
    const settleCoin = params.get("settleCoin");
    if (category !== "linear" && category !== "inverse")
      return this.reply(response, 10001, undefined, "category is invalid");
    if (needsScope && category === "linear" && !settleCoin && !params.get("symbol")) {
      return this.reply(
        response,
        10001,
        undefined,
        "Missing some parameters that must be filled in, symbol or settleCoin",
      );
    }
    const limit = Math.min(Math.max(Number(params.get("limit") ?? 20), 1), max);
    const offset = params.get("cursor") ? Number(Buffer.from(params.get("cursor")!, "base64url").toString()) : 0;
    const matching = items.filter(
      (item) => item.category === category && (!settleCoin || item.settleCoin === settleCoin),
    );
    const list = matching.slice(offset, offset + limit).map(({ settleCoin: _coin, ...item }) => item);
    const next = offset + limit < matching.length ? Buffer.from(String(offset + limit)).toString("base64url") : "";
    this.reply(response, 0, { category, list, nextPageCursor: next });
  }

  /** Bybit's order of checks: known key, time window, signature, expiry, IP whitelist. */
  private authenticate(request: IncomingMessage, signedPayload: string): FakeKey | number {
    const header = (name: string) => request.headers[name] as string | undefined;
    const apiKey = header("x-bapi-api-key");
    const timestamp = Number(header("x-bapi-timestamp"));
    const recvWindow = Number(header("x-bapi-recv-window") ?? 5000);
    const signature = header("x-bapi-sign") ?? "";
    const key = apiKey ? this.keys.get(apiKey) : undefined;
    if (!key) return 10003;
    const serverTime = Date.now();
    if (!(serverTime - recvWindow <= timestamp && timestamp < serverTime + 1000)) return 10002;
    if (!this.signatureHolds(key, `${timestamp}${apiKey}${recvWindow}${signedPayload}`, signature)) return 10004;
    if (key.expiredAt !== null && key.expiredAt <= serverTime) return 33004;
    if (key.ips.length > 0 && !key.ips.includes(this.requestIp)) return 10010;
    return key;
  }

  private signatureHolds(key: FakeKey, message: string, signature: string): boolean {
    if (key.rsaPublicKey !== null) {
      try {
        return verify(
          "sha256",
          Buffer.from(message),
          createPublicKey(key.rsaPublicKey),
          Buffer.from(signature, "base64"),
        );
      } catch {
        return false;
      }
    }
    const expected = createHmac("sha256", key.apiSecret ?? "")
      .update(message)
      .digest("hex");
    return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  }

  private keyInfo(key: FakeKey) {
    // Every group Bybit lists, empty unless granted, and any other group the key was given (as Bybit adds them).
    const permissions = { ...Object.fromEntries(ALL_CATEGORIES.map((category) => [category, []])), ...key.permissions };
    return {
      id: key.id,
      note: key.note,
      apiKey: key.apiKey,
      readOnly: key.readOnly ? 1 : 0,
      secret: "",
      permissions,
      ips: key.ips.length > 0 ? key.ips : ["*"],
      type: key.type,
      deadlineDay: key.expiredAt === null ? -1 : Math.ceil((key.expiredAt - Date.now()) / DAY),
      expiredAt: key.expiredAt === null ? "" : new Date(key.expiredAt).toISOString(),
      createdAt: new Date(key.createdAt).toISOString(),
      unified: 0,
      uta: key.uta,
      userID: 24_680,
      inviterID: 0,
      vipLevel: "No VIP",
      mktMakerLevel: "0",
      affiliateID: 0,
      // Bybit keeps the key material without its PEM armour.
      rsaPublicKey:
        key.rsaPublicKey === null ? "" : key.rsaPublicKey.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""),
      isMaster: true,
      parentUid: "0",
      kycLevel: "LEVEL_DEFAULT",
      kycRegion: "",
    };
  }

  private reply(response: ServerResponse, retCode: number, result: unknown = {}, retMsg?: string): void {
    const messages: Record<number, string> = {
      0: "OK",
      10002: "invalid request, please check your server timestamp or recv_window param",
      10003: "API key is invalid.",
      10004: "error sign! origin_string[...]",
      10010: "Unmatched IP, please check your API key's bound IP addresses.",
      33004: "Your api key has expired.",
    };
    sendJson(response, 200, {
      retCode,
      retMsg: retMsg ?? messages[retCode] ?? "error",
      result,
      retExtInfo: {},
      time: Date.now(),
    });
  }
}

/** Where a key stored without the bot (a test's own records) was found: Bybit's global site, on no real host. */
export const GLOBAL_BYBIT = { exchange: "bybit", site: "global", baseUrl: "https://api.bybit.com" };
