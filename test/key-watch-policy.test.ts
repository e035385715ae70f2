import { describe, expect, it } from "vitest";
import { bybitPermissionRules as rules } from "../src/exchange/bybit/permissions.js";
import type { ApiKeyFacts } from "../src/policy/api-key.js";
import { DAY_MS } from "../src/policy/key-policy.js";
import { judgeWatchedKey, type KeyReading } from "../src/policy/key-watch.js";

const now = Date.UTC(2026, 10, 26);
const stored = { permissions: { ContractTrade: ["Order", "Position"] }, expiresAt: now + 60 * DAY_MS };
const facts = (changes: Partial<ApiKeyFacts> = {}): ApiKeyFacts => ({
  id: "1",
  name: "copy",
  readOnly: false,
  permissions: stored.permissions,
  ips: [],
  createdAt: now - 30 * DAY_MS,
  expiresAt: stored.expiresAt,
  unifiedAccount: true,
  rsaPublicKey: null,
  ...changes,
});
const judge = (reading: KeyReading) => judgeWatchedKey({ rules, stored, reading, now, rotateAfterDays: 80 });

describe("what the key watch makes of a reading", () => {
  it.each([
    ["invalid-key", { verdict: "gone", why: "deleted" }],
    ["expired", { verdict: "gone", why: "expired" }],
    ["timeout", { verdict: "unanswered", failure: "timeout" }],
    ["unavailable", { verdict: "unanswered", failure: "unavailable" }],
    ["rate-limited", { verdict: "unanswered", failure: "rate-limited" }],
    // Bound to other IPs: it may be our address that moved. Never a freeze on that alone.
    ["ip-not-allowed", { verdict: "unanswered", failure: "ip-not-allowed" }],
    ["wrong-secret", { verdict: "unanswered", failure: "wrong-secret" }],
  ])("Bybit answering %s", (failure, verdict) => {
    expect(judge({ ok: false, failure })).toEqual(verdict);
  });

  it("keeps a key that is unchanged, or changed only within the allowlist", () => {
    expect(judge({ ok: true, key: facts() })).toMatchObject({ verdict: "fine", expiryMoved: false });
    expect(
      judge({
        ok: true,
        key: facts({ permissions: { ...stored.permissions, Affiliate: ["Affiliate"] }, name: "renamed" }),
      }),
    ).toMatchObject({ verdict: "fine" });
  });

  it("notices a moved expiry", () => {
    expect(judge({ ok: true, key: facts({ expiresAt: now + 90 * DAY_MS }) })).toMatchObject({
      verdict: "fine",
      expiryMoved: true,
    });
  });

  it("does not hold our own settings against a key: IP binding and a missing expiry are the connect step's", () => {
    expect(judge({ ok: true, key: facts({ ips: ["198.51.100.7"], expiresAt: null }) })).toMatchObject({
      verdict: "fine",
    });
  });

  it.each([
    ["Wallet", ["Withdraw"], "can-withdraw"],
    ["Wallet", ["AccountTransfer"], "can-transfer"],
    ["FiatP2P", ["FiatP2POrder"], "fiat"],
    ["BitCard", ["CardPay"], "unsafe-permissions"],
    ["SomeGroupBybitAddsNextMonth", ["Anything"], "unsafe-permissions"],
    ["wallet", ["Withdraw"], "unsafe-permissions"],
  ])("refuses a key that gained %s %j, and says what was added", (group, permissions, code) => {
    const verdict = judge({ ok: true, key: facts({ permissions: { ...stored.permissions, [group]: permissions } }) });
    expect(verdict).toMatchObject({
      verdict: "refused",
      reasons: [{ code }],
      changes: { added: [{ group, permissions }], removed: [] },
    });
  });

  it("refuses a key that can no longer trade, and says what was removed", () => {
    expect(judge({ ok: true, key: facts({ permissions: { ContractTrade: ["Position"] } }) })).toMatchObject({
      verdict: "refused",
      reasons: [{ code: "contract-trade-missing", missing: ["Order"] }],
      changes: { added: [], removed: [{ group: "ContractTrade", permissions: ["Order"] }] },
    });
    expect(judge({ ok: true, key: facts({ readOnly: true }) })).toMatchObject({
      verdict: "refused",
      reasons: [{ code: "read-only" }],
    });
  });
});
