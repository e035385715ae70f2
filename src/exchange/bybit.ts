import { createHmac, createPrivateKey, sign as signWithKey } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { RestClientV5 } from "bybit-api";
import type { BybitBudget, BybitPriority } from "../budget/bybit-budget.js";
import type { AccountSnapshot, Fill, OpenOrder, OpenPosition } from "../policy/account.js";
import { isPrivateKeyPem, type ApiKeyFacts, type Credentials } from "../policy/api-key.js";
import { normalisePublicKey } from "../policy/key-material.js";

/** Why Bybit did not give us an answer we can use. Never carries the SDK's error, which holds the key and secret. */
export type ExchangeFailure =
  | "invalid-key"
  | "wrong-secret"
  | "ip-not-allowed"
  | "expired"
  | "clock-skew"
  | "rate-limited"
  | "timeout"
  | "unavailable";

export type KeyInspection =
  | { ok: true; key: ApiKeyFacts; equityUsd: string | null }
  | { ok: false; failure: ExchangeFailure };

export type SnapshotResult = { ok: true; snapshot: AccountSnapshot } | { ok: false; failure: ExchangeFailure };

/** Whether Bybit still accepts a key: "dead" once it was deleted (10003) or has expired (33004). */
export type KeyLiveness = { ok: true; alive: boolean } | { ok: false; failure: ExchangeFailure };

/** What Bybit says of a key (query-api alone), for the key watch. */
export type KeyReading = { ok: true; key: ApiKeyFacts } | { ok: false; failure: ExchangeFailure };

export interface Exchange {
  /** Asks Bybit what this key may do (query-api), then the account's equity. */
  inspectKey(credentials: Credentials): Promise<KeyInspection>;
  /** Asks Bybit what this key may do (query-api) and nothing else, behind everyone else's requests. */
  readKey(credentials: Credentials): Promise<KeyReading>;
  /** Open positions and orders (linear USDT and USDC, inverse) and the fills since `since`, every page of each. Read-only calls. */
  snapshot(credentials: Credentials, since: number): Promise<SnapshotResult>;
  isKeyAlive(credentials: Credentials): Promise<KeyLiveness>;
}

export interface BybitOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Every request waits for its turn here first (snapshots and revocation checks as /panic's). */
  budget: BybitBudget;
  /** Each request's time and outcome, once the budget let it go. */
  observe?: (seconds: number, outcome: string) => void;
}

const RET_CODE_FAILURES: Record<number, ExchangeFailure> = {
  10002: "clock-skew",
  10003: "invalid-key",
  10004: "wrong-secret",
  10006: "rate-limited",
  10010: "ip-not-allowed",
  33004: "expired",
};

class ExchangeError extends Error {
  constructor(readonly failure: ExchangeFailure) {
    super(failure);
  }
}

interface BybitAnswer<T> {
  retCode: number;
  result: T;
}

interface QueryApiResult {
  id: string | number;
  note: string;
  readOnly: number;
  permissions: Record<string, string[] | undefined>;
  ips?: string[];
  createdAt: string;
  expiredAt?: string;
  uta?: number;
  /** Set for self-generated (RSA) keys. */
  rsaPublicKey?: string;
}

interface WalletBalanceResult {
  list?: { totalEquity?: string }[];
}

interface Page<T> {
  list?: T[];
  nextPageCursor?: string;
}

type Raw = Record<string, string | undefined>;

/** Where open positions and orders live: linear contracts must be asked for per settle coin. */
const CONTRACT_SCOPES = [
  { category: "linear", settleCoin: "USDT" },
  { category: "linear", settleCoin: "USDC" },
  { category: "inverse" },
] as const;
const FILL_CATEGORIES = ["linear", "inverse"] as const;
/** Far more than any follower has; a guard against a cursor that never ends. */
const MAX_PAGES = 50;

async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<unknown>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await expectSuccess<Page<T>>(fetchPage(cursor));
    items.push(...(result.list ?? []));
    cursor = result.nextPageCursor || undefined;
    if (!cursor) break;
  }
  return items;
}

const text = (value: string | undefined) => value ?? "";

/**
 * Maps whatever the SDK threw to a failure of ours and drops the thrown object on the floor.
 * The SDK rejects with axios errors (request config with signed headers) or with
 * `{ code, message, body, requestOptions }` where requestOptions holds the key and secret.
 */
function failureOf(thrown: unknown): ExchangeFailure {
  if (thrown instanceof ExchangeError) return thrown.failure;
  const shape = (typeof thrown === "object" && thrown !== null ? thrown : {}) as { code?: unknown };
  if (shape.code === 403 || shape.code === 429) return "rate-limited";
  if (shape.code === "ECONNABORTED" || shape.code === "ETIMEDOUT") return "timeout";
  return "unavailable";
}

async function expectSuccess<T>(call: Promise<unknown>): Promise<T> {
  const answer = (await call) as BybitAnswer<T>;
  if (answer.retCode === 0) return answer.result;
  throw new ExchangeError(RET_CODE_FAILURES[answer.retCode] ?? "unavailable");
}

function toFacts(info: QueryApiResult): ApiKeyFacts {
  // Without its id a key cannot be told apart from others (the denylist, "the same key again"): refuse to judge it.
  if (info.id === undefined || info.id === null || String(info.id) === "") throw new ExchangeError("unavailable");
  // Bybit reports an unrestricted key as bound to "*".
  const ips = (info.ips ?? []).filter((ip) => ip !== "*" && ip !== "");
  const expiresAt = info.expiredAt ? Date.parse(info.expiredAt) : Number.NaN;
  const permissions: Record<string, string[]> = {};
  // Every group as Bybit sent it, known or not: the policy refuses what it does not know. A value
  // of an unexpected shape is kept as text, so that it is refused too rather than lost.
  for (const [category, granted] of Object.entries(info.permissions ?? {})) {
    permissions[category] = Array.isArray(granted) ? granted.map(String) : granted === undefined || granted === null ? [] : [String(granted)];
  }
  return {
    id: String(info.id),
    name: info.note,
    readOnly: info.readOnly === 1,
    permissions,
    ips,
    createdAt: Date.parse(info.createdAt),
    // Only keys without bound IPs expire; Bybit's expiredAt means nothing for the others.
    expiresAt: ips.length === 0 && Number.isFinite(expiresAt) ? expiresAt : null,
    unifiedAccount: info.uta === 1,
    rsaPublicKey: info.rsaPublicKey ? (normalisePublicKey(info.rsaPublicKey) ?? "unreadable") : null,
  };
}

function toPosition(category: string, raw: Raw): OpenPosition {
  return {
    category,
    symbol: text(raw.symbol),
    side: text(raw.side),
    size: text(raw.size),
    entryPrice: text(raw.avgPrice),
    markPrice: text(raw.markPrice),
    unrealisedPnl: text(raw.unrealisedPnl),
    leverage: text(raw.leverage),
    liquidationPrice: text(raw.liqPrice),
  };
}

const toOrder = (category: string, raw: Raw): OpenOrder => ({
  category,
  symbol: text(raw.symbol),
  side: text(raw.side),
  type: text(raw.orderType),
  price: text(raw.price),
  qty: text(raw.qty),
});

const toFill = (category: string, raw: Raw): Fill => ({
  category,
  symbol: text(raw.symbol),
  side: text(raw.side),
  qty: text(raw.execQty),
  price: text(raw.execPrice),
  time: Number(raw.execTime),
  orderLinkId: text(raw.orderLinkId),
});

/**
 * Bybit's two schemes over the same message: HMAC-SHA256 in hex, or RSA-SHA256 (PKCS#1 v1.5)
 * in base64. The private key is parsed once per client, not per request: parsing the PEM costs
 * three times the signature itself (1.2 ms against 0.4 ms of CPU here).
 */
function signerFor(secret: string): (message: string) => Promise<string> {
  if (!isPrivateKeyPem(secret)) return async (message) => createHmac("sha256", secret).update(message).digest("hex");
  const privateKey = createPrivateKey(secret);
  return async (message) => signWithKey("sha256", Buffer.from(message), privateKey).toString("base64");
}

export function createBybitExchange({ baseUrl, timeoutMs, budget, observe }: BybitOptions): Exchange {
  // One pool of warm connections for every follower's client: a burst of connects should not pay a handshake each.
  const networkOptions = {
    timeout: timeoutMs,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  };
  const clientFor = ({ apiKey, apiSecret }: Credentials) =>
    new RestClientV5({ key: apiKey, secret: apiSecret, baseUrl, recv_window: 5000, customSignMessageFn: signerFor(apiSecret) }, networkOptions);
  /** One request to Bybit, once the budget lets it go. */
  const request = async <T>(priority: BybitPriority, call: () => Promise<T>): Promise<T> => {
    await budget.beforeRequest(priority);
    const started = performance.now();
    try {
      const answer = await call();
      const retCode = (answer as { retCode?: number }).retCode ?? 0;
      observe?.((performance.now() - started) / 1000, retCode === 0 ? "ok" : (RET_CODE_FAILURES[retCode] ?? "unavailable"));
      return answer;
    } catch (thrown) {
      observe?.((performance.now() - started) / 1000, failureOf(thrown));
      throw thrown;
    }
  };
  async function queryKey(credentials: Credentials, priority: BybitPriority): Promise<KeyReading> {
    try {
      return { ok: true, key: toFacts(await expectSuccess<QueryApiResult>(request(priority, () => clientFor(credentials).getQueryApiKey()))) };
    } catch (thrown) {
      return { ok: false, failure: failureOf(thrown) };
    }
  }

  return {
    async inspectKey(credentials) {
      const client = clientFor(credentials);
      try {
        const info = await expectSuccess<QueryApiResult>(request("connect", () => client.getQueryApiKey()));
        const equityUsd = await expectSuccess<WalletBalanceResult>(request("connect", () => client.getWalletBalance({ accountType: "UNIFIED" }))).then(
          (wallet) => wallet.list?.[0]?.totalEquity ?? null,
          // The equity is a courtesy in the confirmation; a classic account or a hiccup must not refuse a good key.
          () => null,
        );
        return { ok: true, key: toFacts(info), equityUsd };
      } catch (thrown) {
        return { ok: false, failure: failureOf(thrown) };
      }
    },

    async snapshot(credentials, since) {
      const client = clientFor(credentials);
      try {
        const [positions, orders, fills] = await Promise.all([
          Promise.all(
            CONTRACT_SCOPES.map(async (scope) =>
              (await allPages<Raw>((cursor) => request("panic", () => client.getPositionInfo({ ...scope, limit: 200, cursor }))))
                .filter((raw) => Number(raw.size) > 0)
                .map((raw) => toPosition(scope.category, raw)),
            ),
          ),
          Promise.all(
            CONTRACT_SCOPES.map(async (scope) =>
              (await allPages<Raw>((cursor) => request("panic", () => client.getActiveOrders({ ...scope, limit: 50, cursor })))).map((raw) => toOrder(scope.category, raw)),
            ),
          ),
          Promise.all(
            FILL_CATEGORIES.map(async (category) =>
              (await allPages<Raw>((cursor) => request("panic", () => client.getExecutionList({ category, startTime: since, limit: 100, cursor })))).map((raw) =>
                toFill(category, raw),
              ),
            ),
          ),
        ]);
        return { ok: true, snapshot: { positions: positions.flat(), orders: orders.flat(), fills: fills.flat() } };
      } catch (thrown) {
        return { ok: false, failure: failureOf(thrown) };
      }
    },

    readKey: (credentials) => queryKey(credentials, "watch"),

    async isKeyAlive(credentials) {
      const reading = await queryKey(credentials, "panic");
      if (reading.ok) return { ok: true, alive: true };
      if (reading.failure === "invalid-key" || reading.failure === "expired") return { ok: true, alive: false };
      return reading;
    },
  };
}
