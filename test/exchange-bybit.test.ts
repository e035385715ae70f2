import { describe, expect, it } from "vitest";
import { bybit } from "../src/exchange/bybit/index.js";
import { canaryCredentials } from "./support/canaries.js";
import { exchangeConformance } from "./support/exchange-conformance.js";
import { startBybitSites } from "./support/bybit-sites.js";
import { TRADE_ONLY } from "./support/fake-bybit.js";

// The Bybit adapter against the fake Bybit (HMAC and RSA signatures checked as Bybit checks them).
exchangeConformance(bybit, async () => {
  // Every site a fake of its own: an unknown key is looked for on each, as on Bybit.
  const sites = await startBybitSites();
  const fake = sites.global;
  const position = (symbol: string) => ({
    category: "linear" as const,
    settleCoin: "USDT" as const,
    symbol,
    side: "Buy" as const,
    size: "0.01",
    avgPrice: "60000",
    markPrice: "61000",
    unrealisedPnl: "10",
    leverage: "5",
    liqPrice: "40000",
  });
  const accounts = new Map<string, { positions: ReturnType<typeof position>[]; orders: []; fills: [] }>();
  return {
    baseUrl: sites.baseUrl,
    siteUrls: sites.siteUrls,
    issue(kind) {
      const creds = canaryCredentials();
      const account = { positions: [], orders: [] as [], fills: [] as [] };
      accounts.set(creds.apiKey, account);
      const permissions = kind === "money" ? { ...TRADE_ONLY, Wallet: ["AccountTransfer", "Withdraw"] } : TRADE_ONLY;
      const { id } = fake.addKey({ ...creds, permissions, account });
      return { ...creds, id, site: "global" };
    },
    issueRsa(publicKeyPem) {
      const { apiKey, id } = fake.createSelfGeneratedKey(publicKeyPem);
      return { apiKey, id, site: "global" };
    },
    revoke: (apiKey) => fake.revoke(apiKey),
    openPosition: (apiKey, symbol) => void accounts.get(apiKey)!.positions.push(position(symbol)),
    stop: () => sites.stop(),
  };
});

describe("the bybit adapter on a host other than Bybit's mainnet (testnet, demo, a proxy)", () => {
  it("asks no built-in regional host, all mainnet: only the sites given a host of this setting", async () => {
    const sites = await startBybitSites();
    try {
      const asked: string[] = [];
      const budget = {
        beforeRequest: async () => void asked.push("request"),
        followerCheck: async () => 0,
        followerSearch: async () => 0,
      };
      // BYBIT_BASE_URL=https://api-testnet.bybit.com with BYBIT_SITES naming Turkey's testnet alone.
      const exchange = bybit.connect({
        baseUrl: sites.baseUrl,
        siteUrls: { tr: sites.siteUrls.tr! },
        timeoutMs: 2000,
        requestsPer5s: 300,
        budget,
      });
      // A mainnet key of Bybit Kazakhstan pasted into a testnet service is not found on mainnet.
      expect(await exchange.inspectKey(canaryCredentials())).toEqual({ ok: false, failure: "invalid-key" });
      expect(asked).toHaveLength(2);
      expect(exchange.baseUrl("kz")).toBeNull();
      expect(exchange.baseUrl("tr")).toBe(sites.siteUrls.tr);
      const turkish = canaryCredentials();
      sites.site("tr").addKey(turkish);
      expect(await exchange.inspectKey(turkish)).toMatchObject({ ok: true, site: "tr" });
    } finally {
      await sites.stop();
    }
  });
});
