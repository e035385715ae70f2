import type { Fill, OpenOrder, OpenPosition } from "../../policy/account.js";
import type { ApiKeyFacts } from "../../policy/api-key.js";
import { normalisePublicKey } from "../../policy/key-material.js";
import type { ExchangeFailure } from "../port.js";

/** Bybit's answers in our own terms: what its retCodes and its thrown errors mean, and its records as ours. */

export const RET_CODE_FAILURES: Record<number, ExchangeFailure> = {
  10002: "clock-skew",
  10003: "invalid-key",
  10004: "wrong-secret",
  10006: "rate-limited",
  // "Service Restricted: … unavailable for your region" (before 2026-05: "IP has been banned").
  10009: "region-restricted",
  10010: "ip-not-allowed",
  // "Compliance rules triggered".
  10024: "region-restricted",
  // "Product not available in your region".
  110132: "region-restricted",
  33004: "expired",
};

class ExchangeError extends Error {
  /** Its message is the failure's name alone: logged as it is. */
  readonly safeMessage = true;
  constructor(readonly failure: ExchangeFailure) {
    super(failure);
    this.name = "ExchangeError";
  }
}

interface BybitAnswer<T> {
  retCode: number;
  result: T;
}

export interface QueryApiResult {
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

export interface WalletBalanceResult {
  list?: { totalEquity?: string }[];
}

interface Page<T> {
  list?: T[];
  nextPageCursor?: string;
}

export type Raw = Record<string, string | undefined>;

/** Where open positions and orders live: linear contracts must be asked for per settle coin. */
export const CONTRACT_SCOPES = [
  { category: "linear", settleCoin: "USDT" },
  { category: "linear", settleCoin: "USDC" },
  { category: "inverse" },
] as const;
export const FILL_CATEGORIES = ["linear", "inverse"] as const;
/** Far more than any follower has; a guard against a cursor that never ends. */
const MAX_PAGES = 50;

export async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<unknown>): Promise<T[]> {
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
export function failureOf(thrown: unknown): ExchangeFailure {
  if (thrown instanceof ExchangeError) return thrown.failure;
  const shape = (typeof thrown === "object" && thrown !== null ? thrown : {}) as { code?: unknown };
  if (shape.code === 403 || shape.code === 429) return "rate-limited";
  if (shape.code === "ECONNABORTED" || shape.code === "ETIMEDOUT") return "timeout";
  return "unavailable";
}

export async function expectSuccess<T>(call: Promise<unknown>): Promise<T> {
  const answer = (await call) as BybitAnswer<T>;
  if (answer.retCode === 0) return answer.result;
  throw new ExchangeError(RET_CODE_FAILURES[answer.retCode] ?? "unavailable");
}

export function toFacts(info: QueryApiResult): ApiKeyFacts {
  // Without its id a key cannot be told apart from others (the denylist, "the same key again"): refuse to judge it.
  if (info.id === undefined || info.id === null || String(info.id) === "") throw new ExchangeError("unavailable");
  // Bybit reports an unrestricted key as bound to "*".
  const ips = (info.ips ?? []).filter((ip) => ip !== "*" && ip !== "");
  const expiresAt = info.expiredAt ? Date.parse(info.expiredAt) : Number.NaN;
  const permissions: Record<string, string[]> = {};
  // Every group as Bybit sent it, known or not: the policy refuses what it does not know. A value
  // of an unexpected shape is kept as text, so that it is refused too rather than lost.
  for (const [category, granted] of Object.entries(info.permissions ?? {})) {
    permissions[category] = Array.isArray(granted)
      ? granted.map(String)
      : granted === undefined || granted === null
        ? []
        : [String(granted)];
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

export function toPosition(category: string, raw: Raw): OpenPosition {
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

export const toOrder = (category: string, raw: Raw): OpenOrder => ({
  category,
  symbol: text(raw.symbol),
  side: text(raw.side),
  type: text(raw.orderType),
  price: text(raw.price),
  qty: text(raw.qty),
});

export const toFill = (category: string, raw: Raw): Fill => ({
  category,
  symbol: text(raw.symbol),
  side: text(raw.side),
  qty: text(raw.execQty),
  price: text(raw.execPrice),
  time: Number(raw.execTime),
  orderLinkId: text(raw.orderLinkId),
});
