import { afterEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeKeyOptions } from "./support/fake-bybit.js";
import { submitKey } from "./support/flows.js";
import { startHarness, type Follower, type Harness, type HarnessOptions } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

/** The whole flow for a key Bybit knows with these settings. */
async function connectWith(
  key: Partial<FakeKeyOptions>,
  options: HarnessOptions = {},
): Promise<{ verdict: string; alice: Follower }> {
  h = await startHarness(options);
  const alice = h.follower();
  const creds = canaryCredentials();
  h.bybit.addKey({ ...creds, ...key });
  return { verdict: await submitKey(alice, creds), alice };
}

/** Nothing stored, and the flow still open: the key fixed in Bybit is sent again, without a new /connect. */
async function expectNothingStored(alice: Follower): Promise<void> {
  expect(await h.credentials.current(alice.user.id)).toBeNull();
  expect(await h.redis.exists(`conversation:${alice.chat.id}`)).toBe(1);
}

describe("keys that must be refused", () => {
  it("refuses a key that can withdraw, with the fix", async () => {
    const { verdict, alice } = await connectWith({
      permissions: { ContractTrade: ["Order", "Position"], Wallet: ["Withdraw"] },
    });
    expect(verdict).toContain("❌ I can’t use the key “copy-trade-2026”. Nothing was stored.");
    expect(verdict).toContain("It can <b>withdraw</b> funds. Untick Wallet → Withdrawal.");
    await expectNothingStored(alice);
  });

  it("keeps the flow open: the key fixed in Bybit and sent again is connected without /connect", async () => {
    const { verdict, alice } = await connectWith({
      permissions: { ContractTrade: ["Order", "Position"], Wallet: ["Withdraw"] },
    });
    expect(verdict).toContain("then send me the key and secret again, or /cancel.");
    const fixed = canaryCredentials();
    h.bybit.addKey({ ...fixed, note: "fixed-key" });
    alice.say(`${fixed.apiKey} ${fixed.apiSecret}`);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    expect(await alice.reply()).toContain("✅ Connected: key “fixed-key”");
  });

  it("refuses a key that can transfer", async () => {
    const { verdict, alice } = await connectWith({
      permissions: { ContractTrade: ["Order", "Position"], Wallet: ["AccountTransfer"] },
    });
    expect(verdict).toContain(
      "It can <b>transfer</b> funds (Account Transfer). Untick Wallet → Account Transfer and Subaccount Transfer.",
    );
    await expectNothingStored(alice);
  });

  it("refuses a read-only key", async () => {
    const { verdict, alice } = await connectWith({ readOnly: true });
    expect(verdict).toContain("It is <b>read-only</b>, so it can’t place copied trades. Choose Read-Write.");
    await expectNothingStored(alice);
  });

  it("refuses a key without Contract Trading", async () => {
    const { verdict, alice } = await connectWith({ permissions: { Spot: ["SpotTrade"] } });
    expect(verdict).toContain("It can’t trade contracts: tick Contracts → Orders and Positions.");
    await expectNothingStored(alice);
  });

  it("refuses an IP-bound key when the service publishes no egress IPs", async () => {
    const { verdict, alice } = await connectWith({ ips: ["203.0.113.10"] });
    expect(verdict).toContain("It is bound to IP addresses, so our servers can’t use it. Set IP restriction to none.");
    await expectNothingStored(alice);
  });

  it("refuses an IP-bound key that leaves out one of the egress IPs", async () => {
    const { verdict } = await connectWith({ ips: ["203.0.113.10"] }, { egressIps: ["203.0.113.10", "203.0.113.11"] });
    expect(verdict).toContain("Add 203.0.113.11 or set IP restriction to none.");
  });

  it("accepts an IP-bound key bound to every egress IP, without expiry", async () => {
    const { verdict, alice } = await connectWith(
      { ips: ["203.0.113.10", "203.0.113.11"] },
      { egressIps: ["203.0.113.10", "203.0.113.11"] },
    );
    expect(verdict).toContain("✅ Connected");
    expect(verdict).toContain("Expiry: none (the key is bound to our IPs).");
    expect((await h.credentials.current(alice.user.id))?.expiresAt).toBeNull();
  });

  it("refuses a key with any permission outside the allowlist, naming it and the fix, and stores nothing", async () => {
    const { verdict, alice } = await connectWith({
      permissions: { ContractTrade: ["Order", "Position"], Spot: ["SpotTrade"], BitCard: ["CardPay"] },
    });
    expect(verdict).toContain("❌ I can’t use the key");
    expect(verdict).toContain(
      "It has permissions this service must not hold: BitCard: CardPay. Untick everything but Contracts → Orders and Positions.",
    );
    expect(verdict).toContain("It can trade other products: SPOT: Trade. This service trades only contracts");
    await expectNothingStored(alice);
  });
});

describe("when Bybit says no or does not answer", () => {
  it("explains an unknown key (10003), once every Bybit site was asked", async () => {
    h = await startHarness();
    const alice = h.follower();
    const creds = canaryCredentials();
    expect(await submitKey(alice, creds)).toContain(
      "Bybit does not know this API key, on any of its sites. Check that you copied all of it, and that it is a mainnet key",
    );
    const asked = new Set(
      h.bybitSites
        .requestsBySite()
        .filter((request) => request.apiKey === creds.apiKey)
        .map((request) => request.site),
    );
    expect(asked).toEqual(new Set(["global", "nl", "tr", "kz", "ge", "ae", "eu", "id", "jp"]));
    await expectNothingStored(alice);
  });

  it("explains a wrong secret (10004)", async () => {
    h = await startHarness();
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ apiKey: creds.apiKey, apiSecret: canaryCredentials().apiSecret });
    expect(await submitKey(alice, creds)).toContain("The secret does not match this key.");
    await expectNothingStored(alice);
  });

  it("explains an expired key (33004)", async () => {
    const { verdict, alice } = await connectWith({ createdAt: Date.now() - 100 * 86_400_000 });
    expect(verdict).toContain("This key has expired in Bybit.");
    await expectNothingStored(alice);
  });

  it("asks to retry later when Bybit times out, and stores nothing", async () => {
    h = await startHarness({ bybitTimeoutMs: 300 });
    h.bybit.mode = "hang";
    const alice = h.follower();
    expect(await submitKey(alice, canaryCredentials())).toBe(
      "Bybit did not answer in time. Nothing was stored. Please wait a minute, then send me the key and secret again, or /cancel.",
    );
    await expectNothingStored(alice);
  });

  it("asks to retry later on a 5xx, stores nothing, and logs neither key nor secret", async () => {
    h = await startHarness();
    h.bybit.mode = "server-error";
    const alice = h.follower();
    const creds = canaryCredentials();
    expect(await submitKey(alice, creds)).toBe(
      "Bybit is not answering properly right now. Nothing was stored. Please wait a minute, then send me the key and secret again, or /cancel.",
    );
    await expectNothingStored(alice);
    expect(h.logs.join("\n")).not.toContain(creds.apiSecret);
    expect(h.logs.join("\n")).not.toContain(creds.apiKey);
  });
});
