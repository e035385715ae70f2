import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { RestClientV5 } from "bybit-api";
import type { ApiKeyFacts, Credentials } from "../policy/api-key.js";

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

export interface Exchange {
  /** Asks Bybit what this key may do (query-api), then the account's equity. */
  inspectKey(credentials: Credentials): Promise<KeyInspection>;
}

export interface BybitOptions {
  baseUrl: string;
  timeoutMs: number;
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
}

interface WalletBalanceResult {
  list?: { totalEquity?: string }[];
}

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
  // Bybit reports an unrestricted key as bound to "*".
  const ips = (info.ips ?? []).filter((ip) => ip !== "*" && ip !== "");
  const expiresAt = info.expiredAt ? Date.parse(info.expiredAt) : Number.NaN;
  const permissions: Record<string, string[]> = {};
  for (const [category, granted] of Object.entries(info.permissions ?? {})) permissions[category] = granted ?? [];
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
  };
}

export function createBybitExchange({ baseUrl, timeoutMs }: BybitOptions): Exchange {
  // One pool of warm connections for every follower's client: a burst of connects should not pay a handshake each.
  const networkOptions = {
    timeout: timeoutMs,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  };
  const sign = async (message: string, secret: string) => createHmac("sha256", secret).update(message).digest("hex");

  return {
    async inspectKey({ apiKey, apiSecret }) {
      const client = new RestClientV5(
        { key: apiKey, secret: apiSecret, baseUrl, recv_window: 5000, customSignMessageFn: sign },
        networkOptions,
      );
      try {
        const info = await expectSuccess<QueryApiResult>(client.getQueryApiKey());
        const equityUsd = await expectSuccess<WalletBalanceResult>(client.getWalletBalance({ accountType: "UNIFIED" })).then(
          (wallet) => wallet.list?.[0]?.totalEquity ?? null,
          // The equity is a courtesy in the confirmation; a classic account or a hiccup must not refuse a good key.
          () => null,
        );
        return { ok: true, key: toFacts(info), equityUsd };
      } catch (thrown) {
        return { ok: false, failure: failureOf(thrown) };
      }
    },
  };
}
