// The sandbox's sample Bybit keys: a few the bot accepts and one of each kind it refuses (as far
// as the fake Bybit can play them). With `--keep` their credentials, and the self-generated keys
// you made, are saved in the data folder, so the key the bot kept last time still works.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { canaryCredentials } from "../../test/support/canaries.js";
import type { FakeBybit, FakeKeyOptions } from "../../test/support/fake-bybit.js";

const DAY = 86_400_000;
const CONTRACTS = { ContractTrade: ["Order", "Position"] };

interface Sample {
  label: string;
  good: boolean;
  about: string;
  key: Omit<FakeKeyOptions, "apiKey" | "apiSecret">;
  /** Bybit has never heard of it, or knows it with another secret. */
  bybit?: "unknown" | "other-secret";
}

const SAMPLES: Sample[] = [
  {
    label: "main",
    good: true,
    about: "contracts only; an open position, an order and a fill (for /status and /panic)",
    key: {
      note: "copy-trade-main",
      account: {
        positions: [
          {
            category: "linear",
            settleCoin: "USDT",
            symbol: "BTCUSDT",
            side: "Buy",
            size: "0.05",
            avgPrice: "64000",
            markPrice: "64500",
            unrealisedPnl: "25",
            leverage: "5",
            liqPrice: "52000",
          },
        ],
        orders: [
          {
            category: "linear",
            settleCoin: "USDT",
            symbol: "ETHUSDT",
            side: "Sell",
            orderType: "Limit",
            price: "3600",
            qty: "0.5",
            orderLinkId: "copytrade-1",
          },
        ],
        fills: [
          {
            category: "linear",
            symbol: "SOLUSDT",
            side: "Buy",
            execQty: "40",
            execPrice: "150",
            execTime: Date.now() - 3_600_000,
            orderLinkId: "",
          },
        ],
      },
    },
  },
  {
    label: "spare",
    good: true,
    about: "contracts only, an empty account (to try /rotate or replacing a key)",
    key: { note: "copy-trade-spare" },
  },
  {
    label: "old",
    good: true,
    about: "contracts only, made 85 days ago: accepted, but due for rotation",
    key: { note: "copy-trade-old", createdAt: Date.now() - 85 * DAY },
  },
  {
    label: "withdraw",
    good: false,
    about: "can withdraw funds",
    key: { note: "can-withdraw", permissions: { ...CONTRACTS, Wallet: ["Withdraw"] } },
  },
  {
    label: "transfer",
    good: false,
    about: "can transfer between accounts",
    key: { note: "can-transfer", permissions: { ...CONTRACTS, Wallet: ["AccountTransfer"] } },
  },
  {
    label: "spot-only",
    good: false,
    about: "trades spot, not contracts",
    key: { note: "spot-only", permissions: { Spot: ["SpotTrade"] } },
  },
  { label: "read-only", good: false, about: "read-only", key: { note: "read-only", readOnly: true } },
  {
    label: "ip-bound",
    good: false,
    about: "bound to an IP address",
    key: { note: "ip-bound", ips: ["198.51.100.20"] },
  },
  {
    label: "expired",
    good: false,
    about: "made 100 days ago, expired in Bybit",
    key: { note: "expired", createdAt: Date.now() - 100 * DAY },
  },
  {
    label: "wrong-secret",
    good: false,
    about: "Bybit knows the key, but with another secret",
    key: {},
    bybit: "other-secret",
  },
  { label: "unknown", good: false, about: "Bybit has never heard of it", key: {}, bybit: "unknown" },
];

interface Saved {
  credentials: Record<string, { apiKey: string; apiSecret: string }>;
  selfGenerated: { apiKey: string; rsaPublicKey: string }[];
  revoked: string[];
}

export class SampleKeys {
  private readonly saved: Saved;

  /** Adds the samples to the fake Bybit, with the credentials saved in `file` if it exists; saves them there. */
  constructor(
    private readonly bybit: FakeBybit,
    private readonly file: string,
  ) {
    this.saved = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as Saved)
      : { credentials: {}, selfGenerated: [], revoked: [] };
    for (const sample of SAMPLES) {
      const creds = (this.saved.credentials[sample.label] ??= canaryCredentials());
      if (sample.bybit === "unknown" || this.saved.revoked.includes(creds.apiKey)) continue;
      const apiSecret = sample.bybit === "other-secret" ? canaryCredentials().apiSecret : creds.apiSecret;
      bybit.addKey({ ...sample.key, apiKey: creds.apiKey, apiSecret });
    }
    for (const key of this.saved.selfGenerated) {
      if (!this.saved.revoked.includes(key.apiKey)) bybit.addKey({ ...key, note: "self-generated" });
    }
    this.save();
  }

  /** What `!keys` prints. */
  listing(): string[] {
    const line = (sample: Sample) => {
      const { apiKey, apiSecret } = this.saved.credentials[sample.label]!;
      const gone = this.saved.revoked.includes(apiKey) ? " (deleted in Bybit)" : "";
      return `  ${sample.label.padEnd(12)} ${apiKey} ${apiSecret}  ${sample.about}${gone}`;
    };
    const selfMade = this.saved.selfGenerated.map(
      ({ apiKey }) =>
        `  ${"self-made".padEnd(12)} ${apiKey}  (API key only)${this.saved.revoked.includes(apiKey) ? " (deleted in Bybit)" : ""}`,
    );
    return [
      "Keys the bot accepts (paste the key and the secret when it asks for them):",
      ...SAMPLES.filter((sample) => sample.good).map(line),
      ...selfMade,
      "Keys it refuses, one of each kind:",
      ...SAMPLES.filter((sample) => !sample.good).map(line),
    ];
  }

  /** `!selfkey`: Bybit's "Self-generated API Keys" dialog with this public key; returns the new API key. */
  selfGenerate(rsaPublicKey: string): string {
    const { apiKey } = this.bybit.createSelfGeneratedKey(rsaPublicKey, { note: "self-generated" });
    this.saved.selfGenerated.push({ apiKey, rsaPublicKey });
    this.save();
    return apiKey;
  }

  /** `!revoke`: deletes a key in Bybit, by label or API key; returns what it deleted, or undefined if no such key. */
  revoke(which: string): string | undefined {
    const apiKey = this.saved.credentials[which]?.apiKey ?? this.known().find((key) => key === which);
    if (!apiKey) return undefined;
    this.bybit.revoke(apiKey);
    if (!this.saved.revoked.includes(apiKey)) this.saved.revoked.push(apiKey);
    this.save();
    return apiKey;
  }

  /** The newest sample or self-generated API key that appears in this text. */
  mentionedIn(text: string): string | undefined {
    return this.known()
      .reverse()
      .find((key) => text.includes(key));
  }

  private known(): string[] {
    return [
      ...Object.values(this.saved.credentials).map((creds) => creds.apiKey),
      ...this.saved.selfGenerated.map((key) => key.apiKey),
    ];
  }

  private save(): void {
    writeFileSync(this.file, `${JSON.stringify(this.saved, null, 2)}\n`, { mode: 0o600 });
  }
}
