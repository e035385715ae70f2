import { describe, expect, it } from "vitest";
import type { ApiKeyFacts } from "../src/policy/api-key.js";
import { bybitPermissionRules as rules } from "../src/exchange/bybit/permissions.js";
import { DAY_MS, evaluateKey, type PolicyWarning, type RefusalReason } from "../src/policy/key-policy.js";

const NOW = Date.UTC(2026, 10, 26);

const tradeOnly: ApiKeyFacts = {
  id: "1",
  name: "copy-trade-2026",
  readOnly: false,
  permissions: { ContractTrade: ["Order", "Position"], Wallet: [], Spot: [] },
  ips: [],
  createdAt: NOW - 5 * DAY_MS,
  expiresAt: NOW + 85 * DAY_MS,
  unifiedAccount: true,
  rsaPublicKey: null,
};

interface Case {
  name: string;
  key: Partial<ApiKeyFacts>;
  egressIps?: string[];
  reasons?: RefusalReason[];
  warnings?: PolicyWarning[];
}

const cases: Case[] = [
  { name: "a trade-only key with an expiry", key: {} },
  {
    name: "withdrawal",
    key: { permissions: { ContractTrade: ["Order", "Position"], Wallet: ["Withdraw"] } },
    reasons: [{ code: "can-withdraw" }],
  },
  {
    name: "transfers",
    key: { permissions: { ContractTrade: ["Order", "Position"], Wallet: ["AccountTransfer", "SubMemberTransfer"] } },
    reasons: [{ code: "can-transfer", permissions: ["AccountTransfer", "SubMemberTransfer"] }],
  },
  {
    name: "withdrawal and transfer together",
    key: {
      permissions: {
        ContractTrade: ["Order", "Position"],
        Wallet: ["AccountTransfer", "Withdraw", "SubMemberTransferList"],
      },
    },
    reasons: [
      { code: "can-withdraw" },
      { code: "can-transfer", permissions: ["AccountTransfer", "SubMemberTransferList"] },
    ],
  },
  {
    name: "fiat permissions",
    key: {
      permissions: {
        ContractTrade: ["Order", "Position"],
        FiatP2P: ["FiatP2POrder"],
        FiatBybitPay: [],
        FiatConvertBroker: ["FiatConvertBrokerOrder"],
      },
    },
    reasons: [{ code: "fiat", categories: ["FiatP2P", "FiatConvertBroker"] }],
  },
  { name: "read-only", key: { readOnly: true }, reasons: [{ code: "read-only" }] },
  {
    name: "no contract trading at all",
    key: { permissions: { Spot: ["SpotTrade"] } },
    reasons: [
      { code: "contract-trade-missing", missing: ["Order", "Position"] },
      { code: "other-trading", groups: [{ group: "Spot", permissions: ["SpotTrade"] }] },
    ],
  },
  {
    name: "orders without positions",
    key: { permissions: { ContractTrade: ["Order"] } },
    reasons: [{ code: "contract-trade-missing", missing: ["Position"] }],
  },
  { name: "an unbound key without expiry", key: { expiresAt: null }, reasons: [{ code: "no-expiry" }] },
  {
    name: "an IP-bound key without EGRESS_IPS",
    key: { ips: ["203.0.113.10"], expiresAt: null },
    reasons: [{ code: "ip-bound-without-egress" }],
  },
  {
    name: "an IP-bound key with all EGRESS_IPS",
    key: { ips: ["203.0.113.10", "203.0.113.11"], expiresAt: null },
    egressIps: ["203.0.113.10", "203.0.113.11"],
  },
  {
    name: "an IP-bound key missing one of EGRESS_IPS",
    key: { ips: ["203.0.113.10"], expiresAt: null },
    egressIps: ["203.0.113.10", "203.0.113.11"],
    reasons: [{ code: "ip-bound-missing-egress", missing: ["203.0.113.11"] }],
  },
  {
    name: "the read-only groups on the allowlist, and nothing else",
    key: {
      permissions: {
        ContractTrade: ["Order", "Position"],
        Affiliate: ["Affiliate"],
        Exchange: ["ExchangeHistory"],
        NFT: ["NFTQueryProductList"],
        // What Bybit adds to every Unified Trading Account key: derivatives trading, no money moved.
        Derivatives: ["DerivativesTrade"],
        Spot: [],
        Options: [],
        BitCard: [],
      },
    },
  },
  ...(
    [
      ["Spot", ["SpotTrade"]],
      ["Options", ["OptionsTrade"]],
      ["Derivatives", ["DerivativesTrade", "DerivativesTransfer"]],
      ["CopyTrading", ["CopyTrading"]],
      ["BlockTrade", ["BlockTrade"]],
      ["Earn", ["Earn"]],
      ["BitCard", ["CardPay"]],
      ["ByXPost", ["ByXPost"]],
      ["Spot", ["SpotTrade", "SpotWithdraw"]],
      // Bybit's own groups with a value we have never seen, and groups we have never heard of.
      ["ContractTrade", ["Order", "Position", "Transfer"]],
      ["Exchange", ["ExchangeHistory", "ExchangeOrder"]],
      ["NewGroupNextMonth", ["Anything"]],
      ["wallet", ["Withdraw"]],
    ] as const
  ).map(([group, permissions]): Case => {
    const allowed: Record<string, string[]> = {
      ContractTrade: ["Order", "Position"],
      Exchange: ["ExchangeHistory"],
      Derivatives: ["DerivativesTrade"],
    };
    const known = allowed[group] ?? [];
    // Groups that only trade other products are refused too, under a reason of their own (the key watch does not treat them as leaks).
    const trades: Record<string, string> = {
      Spot: "SpotTrade",
      Options: "OptionsTrade",
      CopyTrading: "CopyTrading",
      BlockTrade: "BlockTrade",
    };
    const code = permissions.every((permission) => trades[group] === permission)
      ? "other-trading"
      : "unsafe-permissions";
    return {
      name: `${group}: ${permissions.join(", ")}`,
      key: { permissions: { ContractTrade: ["Order", "Position"], [group]: [...permissions] } },
      reasons: [
        { code, groups: [{ group, permissions: permissions.filter((permission) => !known.includes(permission)) }] },
      ],
    };
  }),
  { name: "a key on day 79", key: { createdAt: NOW - 79 * DAY_MS - 1 } },
  { name: "a key on day 80", key: { createdAt: NOW - 80 * DAY_MS }, warnings: [{ code: "rotation-due", ageDays: 80 }] },
  { name: "a classic (non-unified) account", key: { unifiedAccount: false }, warnings: [{ code: "not-unified" }] },
  {
    name: "every problem at once, each reported",
    key: {
      readOnly: true,
      permissions: { Wallet: ["Withdraw"], FiatP2P: ["Advertising"] },
      expiresAt: null,
      unifiedAccount: false,
    },
    reasons: [
      { code: "can-withdraw" },
      { code: "fiat", categories: ["FiatP2P"] },
      { code: "read-only" },
      { code: "contract-trade-missing", missing: ["Order", "Position"] },
      { code: "no-expiry" },
    ],
    warnings: [{ code: "not-unified" }],
  },
];

describe("the key policy", () => {
  it.each(cases)("$name", ({ key, egressIps = [], reasons, warnings = [] }) => {
    const verdict = evaluateKey({ key: { ...tradeOnly, ...key }, rules, egressIps, now: NOW, rotateAfterDays: 80 });
    expect(verdict).toEqual(reasons ? { accepted: false, reasons, warnings } : { accepted: true, warnings });
  });
});

describe("a key issued to our broker app (Connect with Bybit): bound to exactly EGRESS_IPS", () => {
  const egressIps = ["203.0.113.10", "203.0.113.11"];
  const judge = (ips: string[], egress = egressIps) =>
    evaluateKey({
      key: { ...tradeOnly, ips, expiresAt: null },
      rules,
      egressIps: egress,
      now: NOW,
      rotateAfterDays: 80,
      exactIps: true,
    });

  it.each([
    ["exactly ours, in any order", ["203.0.113.11", "203.0.113.10"], undefined],
    ["bound to none", [], [{ code: "ip-not-bound" }]],
    ["one of ours missing", ["203.0.113.10"], [{ code: "ip-bound-missing-egress", missing: ["203.0.113.11"] }]],
    ["one besides ours", [...egressIps, "198.51.100.7"], [{ code: "ip-bound-extra", extra: ["198.51.100.7"] }]],
  ] as [string, string[], RefusalReason[] | undefined][])("%s", (_name, ips, reasons) => {
    expect(judge(ips)).toEqual(reasons ? { accepted: false, reasons, warnings: [] } : { accepted: true, warnings: [] });
  });

  it("is refused without EGRESS_IPS (fail closed)", () => {
    expect(judge(egressIps, [])).toEqual({
      accepted: false,
      reasons: [{ code: "ip-bound-without-egress" }],
      warnings: [],
    });
  });
});
