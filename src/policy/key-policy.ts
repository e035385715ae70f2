import type { ApiKeyFacts } from "./api-key.js";

export const DAY_MS = 86_400_000;

/** Why a key is refused; each maps to one sentence that says what to change in Bybit. */
export type RefusalReason =
  | { code: "can-withdraw" }
  | { code: "can-transfer"; permissions: string[] }
  | { code: "fiat"; categories: string[] }
  | { code: "read-only" }
  | { code: "contract-trade-missing"; missing: string[] }
  /** Permissions outside the allowlist: groups we do not know to be harmless, or values we do not know in a group we allow. */
  | { code: "unsafe-permissions"; groups: { group: string; permissions: string[] }[] }
  /** Trading of other products, with values we know to trade and nothing else: not for this service, but no danger to the funds. */
  | { code: "other-trading"; groups: { group: string; permissions: string[] }[] }
  | { code: "no-expiry" }
  | { code: "ip-bound-without-egress" }
  | { code: "ip-bound-missing-egress"; missing: string[] }
  | { code: "public-key-mismatch" };

export type PolicyWarning = { code: "rotation-due"; ageDays: number } | { code: "not-unified" };

export type Verdict =
  | { accepted: true; warnings: PolicyWarning[] }
  | { accepted: false; reasons: RefusalReason[]; warnings: PolicyWarning[] };

export interface PolicyInput {
  key: ApiKeyFacts;
  /** The service's published static IPs (EGRESS_IPS). */
  egressIps: readonly string[];
  /** Epoch milliseconds: the caller owns the clock. */
  now: number;
  /** A key this old is due for rotation. */
  rotateAfterDays: number;
  /** For a key made from a pair we generated: the public key we handed out (normalised); Bybit must hold exactly it. */
  expectedRsaPublicKey?: string;
}

const REQUIRED_CONTRACT_PERMISSIONS = ["Order", "Position"];
const WITHDRAW = "Withdraw";

/**
 * The only permission groups a key we keep may hold, each with the only values it may hold.
 * Anything else (a group Bybit adds next month, a value we have never seen, a group spelt
 * differently) refuses the key: for money, unknown means no. From Bybit's permission table
 * (query-api, create and modify API key):
 * - ContractTrade: Order and Position, what copying trades needs (both required).
 * - Affiliate ("Affiliate"): read-only statistics of the account's own affiliate programme.
 * - Exchange ("ExchangeHistory"): read-only history of coin conversions; converting is not in it.
 * - NFT ("NFTQueryProductList"): read-only list of NFT products.
 * Everything else trades other products (Spot, Options, Derivatives, BlockTrade, CopyTrading),
 * moves money (Wallet, Earn, BitCard, the Fiat groups) or acts for the follower elsewhere (ByXPost).
 */
const ALLOWED_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  ContractTrade: REQUIRED_CONTRACT_PERMISSIONS,
  Affiliate: ["Affiliate"],
  Exchange: ["ExchangeHistory"],
  NFT: ["NFTQueryProductList"],
};

/**
 * Groups, outside the allowlist, that only trade other products, each with the only values known to
 * do so. A key holding them is refused all the same; the key watch treats it as a key to fix, not as
 * a leak. Any other value in these groups counts as unknown.
 */
const TRADING_ONLY: Readonly<Record<string, readonly string[]>> = {
  Spot: ["SpotTrade"],
  Options: ["OptionsTrade"],
  Derivatives: ["DerivativesTrade"],
  CopyTrading: ["CopyTrading"],
  BlockTrade: ["BlockTrade"],
};

/** Reasons that mean the key can move money, or may: such a key is treated as leaked. */
export const MONEY_REASONS: ReadonlySet<RefusalReason["code"]> = new Set([
  "can-withdraw",
  "can-transfer",
  "fiat",
  "unsafe-permissions",
]);

/** Decides whether the service may keep this key: it must trade contracts and never move money. */
export function evaluateKey({ key, egressIps, now, rotateAfterDays, expectedRsaPublicKey }: PolicyInput): Verdict {
  const reasons: RefusalReason[] = [];
  const warnings: PolicyWarning[] = [];
  if (expectedRsaPublicKey !== undefined && key.rsaPublicKey !== expectedRsaPublicKey)
    reasons.push({ code: "public-key-mismatch" });
  const granted = (category: string) => key.permissions[category] ?? [];

  const wallet = granted("Wallet");
  if (wallet.includes(WITHDRAW)) reasons.push({ code: "can-withdraw" });
  const transfers = wallet.filter((permission) => permission !== WITHDRAW);
  if (transfers.length > 0) reasons.push({ code: "can-transfer", permissions: transfers });

  const fiat = Object.keys(key.permissions).filter(
    (category) => category.startsWith("Fiat") && granted(category).length > 0,
  );
  if (fiat.length > 0) reasons.push({ code: "fiat", categories: fiat });

  if (key.readOnly) reasons.push({ code: "read-only" });

  const contract = granted("ContractTrade");
  const missing = REQUIRED_CONTRACT_PERMISSIONS.filter((permission) => !contract.includes(permission));
  if (missing.length > 0) reasons.push({ code: "contract-trade-missing", missing });

  if (key.ips.length === 0) {
    if (key.expiresAt === null) reasons.push({ code: "no-expiry" });
  } else if (egressIps.length === 0) {
    reasons.push({ code: "ip-bound-without-egress" });
  } else {
    const unbound = egressIps.filter((ip) => !key.ips.includes(ip));
    if (unbound.length > 0) reasons.push({ code: "ip-bound-missing-egress", missing: unbound });
  }

  // Wallet and Fiat have refusals of their own, with their own fix; everything else is checked against the allowlist.
  const unsafe = Object.keys(key.permissions)
    .filter((group) => group !== "Wallet" && !group.startsWith("Fiat"))
    .map((group) => ({
      group,
      permissions: granted(group).filter((permission) => !(ALLOWED_PERMISSIONS[group] ?? []).includes(permission)),
    }))
    .filter(({ permissions }) => permissions.length > 0);
  const tradingOnly = ({ group, permissions }: { group: string; permissions: string[] }) =>
    permissions.every((permission) => (TRADING_ONLY[group] ?? []).includes(permission));
  if (unsafe.some((entry) => !tradingOnly(entry)))
    reasons.push({ code: "unsafe-permissions", groups: unsafe.filter((entry) => !tradingOnly(entry)) });
  if (unsafe.some(tradingOnly)) reasons.push({ code: "other-trading", groups: unsafe.filter(tradingOnly) });

  const ageDays = Math.floor((now - key.createdAt) / DAY_MS);
  if (ageDays >= rotateAfterDays) warnings.push({ code: "rotation-due", ageDays });

  if (!key.unifiedAccount) warnings.push({ code: "not-unified" });

  return reasons.length === 0 ? { accepted: true, warnings } : { accepted: false, reasons, warnings };
}
