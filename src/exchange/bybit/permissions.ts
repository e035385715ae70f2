import type { ApiKeyFacts } from "../../policy/api-key.js";
import type { RefusalReason } from "../../policy/key-policy.js";

/** Bybit's permission groups judged: contract trading, and nothing that moves money. Pure. */

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
 * - Derivatives ("DerivativesTrade"): "permission of derivatives", trading on a Unified Trading
 *   Account. From 2023-11 to 2026-01 Bybit's docs said every UTA key carries it by default (read-only
 *   ones too), and no endpoint that moves money names it (transfers, withdrawals, convert, loans and
 *   earn name Wallet, Exchange, Spot, Options, Earn and the Fiat groups): a follower who ticks only
 *   Contracts gets it, and it cannot move money (docs/bybit-sites.md, section 3).
 * Everything else trades other products (Spot, Options, BlockTrade, CopyTrading),
 * moves money (Wallet, Earn, BitCard, the Fiat groups) or acts for the follower elsewhere (ByXPost).
 */
const ALLOWED_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  ContractTrade: REQUIRED_CONTRACT_PERMISSIONS,
  Affiliate: ["Affiliate"],
  Exchange: ["ExchangeHistory"],
  NFT: ["NFTQueryProductList"],
  Derivatives: ["DerivativesTrade"],
};

/**
 * Groups, outside the allowlist, that only trade other products, each with the only values known to
 * do so. A key holding them is refused all the same; the key watch treats it as a key to fix, not as
 * a leak. Any other value in these groups counts as unknown.
 */
const TRADING_ONLY: Readonly<Record<string, readonly string[]>> = {
  Spot: ["SpotTrade"],
  Options: ["OptionsTrade"],
  CopyTrading: ["CopyTrading"],
  BlockTrade: ["BlockTrade"],
};

/** The refusals Bybit's permissions call for: money first, then what is missing, then what is unknown. */
export function bybitPermissionRules(key: ApiKeyFacts): RefusalReason[] {
  const reasons: RefusalReason[] = [];
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
  return reasons;
}
