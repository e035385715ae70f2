import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExchangeBudget, RequestPriority } from "../../src/budget/exchange-budget.js";
import type { Exchange, ExchangeAdapter } from "../../src/exchange/port.js";
import { ADAPTERS } from "../../src/exchange/registry.js";
import type { Credentials } from "../../src/policy/api-key.js";
import { evaluateKey, MONEY_REASONS } from "../../src/policy/key-policy.js";
import { normalisePublicKey } from "../../src/policy/key-material.js";

/**
 * What every exchange adapter must do, as the service relies on it, against a fake of that exchange
 * that speaks its real protocol (signatures included). A new adapter passes this before it is listed
 * in the registry: `exchangeConformance(adapter, rig)` in a test file of its own.
 */

/** A key the fake knows: its credentials (an RSA key signs with its private key) and the exchange's id of it. */
export type IssuedKey = Credentials & { id: string; site: string };

/** What the suite asks of an exchange's fake. */
export interface ConformanceRig {
  /** Where the adapter reaches the fake: its main site, and its other sites if it has them. */
  baseUrl: string;
  siteUrls?: Record<string, string>;
  /**
   * A key issued as a follower following our steps would make it: trade contracts only. `money`: one
   * that can also withdraw or move funds. `rsa`: a self-generated key for this public key (PEM), if the
   * exchange has them (undefined from the rig otherwise).
   */
  issue(kind: "trade-only" | "money"): IssuedKey;
  issueRsa?(publicKeyPem: string): { apiKey: string; id: string; site: string };
  /** What deleting the key on the exchange's site does. */
  revoke(apiKey: string): void;
  /** An open position on the account behind the key. */
  openPosition(apiKey: string, symbol: string): void;
  stop(): Promise<void>;
}

/** Counts requests by priority; never makes anyone wait. */
function countingBudget(): ExchangeBudget & { asked: RequestPriority[] } {
  const asked: RequestPriority[] = [];
  return {
    asked,
    beforeRequest: async (priority) => void asked.push(priority),
    followerCheck: async () => 0,
    followerSearch: async () => 0,
  };
}

const CANARY = "conformance-canary-secret-0123456789";

export function exchangeConformance(adapter: ExchangeAdapter, makeRig: () => Promise<ConformanceRig>): void {
  describe(`the ${adapter.profile.id} adapter keeps the exchange port's promises`, () => {
    let rig: ConformanceRig;
    let exchange: Exchange;
    const budget = countingBudget();
    const observed: string[] = [];
    beforeAll(async () => {
      rig = await makeRig();
      exchange = adapter.connect({
        baseUrl: rig.baseUrl,
        ...(rig.siteUrls ? { siteUrls: rig.siteUrls } : {}),
        timeoutMs: 2000,
        requestsPer5s: 300,
        budget,
        observe: (_seconds, outcome) => observed.push(outcome),
      });
    });
    afterAll(() => rig.stop());

    it("is listed in the registry under its own id, with a name and an https page for API keys", () => {
      expect(ADAPTERS[adapter.profile.id as keyof typeof ADAPTERS]).toBe(adapter);
      expect(exchange.profile).toBe(adapter.profile);
      expect(adapter.profile.name.length).toBeGreaterThan(0);
      expect(new URL(adapter.profile.apiManagementUrl).protocol).toBe("https:");
    });

    it("reads a trade-only key's facts, and its rules accept it", async () => {
      const key = rig.issue("trade-only");
      const inspection = await exchange.inspectKey(key);
      expect(inspection).toMatchObject({ ok: true, key: { id: key.id, readOnly: false }, site: key.site });
      expect(exchange.profile.sites.map((site) => site.id)).toContain(key.site);
      expect(exchange.baseUrl(key.site)).toMatch(/^https?:\/\//);
      if (!inspection.ok) return;
      expect(Number.isFinite(inspection.key.createdAt)).toBe(true);
      const verdict = evaluateKey({
        key: inspection.key,
        rules: adapter.profile.permissionRules,
        egressIps: [],
        now: Date.now(),
        rotateAfterDays: 80,
      });
      expect(verdict).toMatchObject({ accepted: true });
      // The key watch's reading: the same facts.
      expect(await exchange.readKey(key, key.site)).toEqual({ ok: true, key: inspection.key });
    });

    it("reads a key that can move money, and its rules refuse it as such", async () => {
      const key = rig.issue("money");
      const inspection = await exchange.inspectKey(key);
      expect(inspection.ok).toBe(true);
      if (!inspection.ok) return;
      const reasons = adapter.profile.permissionRules(inspection.key);
      expect(reasons.some((reason) => MONEY_REASONS.has(reason.code))).toBe(true);
    });

    it("names a wrong secret and an unknown key, and never hands back what it was given", async () => {
      const key = rig.issue("trade-only");
      const wrong = await exchange.inspectKey({ apiKey: key.apiKey, apiSecret: CANARY });
      expect(wrong).toEqual({ ok: false, failure: "wrong-secret" });
      const unknown = await exchange.inspectKey({ apiKey: "unknownkey0123456", apiSecret: CANARY });
      expect(unknown).toEqual({ ok: false, failure: "invalid-key" });
      expect(JSON.stringify([wrong, unknown, observed])).not.toContain(CANARY);
    });

    it("checks a self-generated key with the RSA public key the exchange holds for it", async ({ skip }) => {
      if (!rig.issueRsa) return skip();
      const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
      const { apiKey, id, site } = rig.issueRsa(publicKeyPem);
      const apiSecret = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      const inspection = await exchange.inspectKey({ apiKey, apiSecret });
      expect(inspection).toMatchObject({ ok: true, site, key: { id, rsaPublicKey: normalisePublicKey(publicKeyPem) } });
    });

    it("says a key is alive until it is deleted on the exchange, then that it is not", async () => {
      const key = rig.issue("trade-only");
      expect(await exchange.isKeyAlive(key, key.site)).toEqual({ ok: true, alive: true });
      rig.revoke(key.apiKey);
      expect(await exchange.isKeyAlive(key, key.site)).toEqual({ ok: true, alive: false });
    });

    it("reads what the account holds, with read-only calls, behind /panic's priority", async () => {
      const key = rig.issue("trade-only");
      rig.openPosition(key.apiKey, "BTCUSDT");
      budget.asked.length = 0;
      const result = await exchange.snapshot(key, Date.now() - 86_400_000, key.site);
      expect(result).toMatchObject({ ok: true, snapshot: { positions: [{ symbol: "BTCUSDT" }], orders: [] } });
      expect(budget.asked.length).toBeGreaterThan(0);
      expect(new Set(budget.asked)).toEqual(new Set(["panic"]));
    });

    it("asks the budget before every request, with the caller's priority", async () => {
      const key = rig.issue("trade-only");
      budget.asked.length = 0;
      observed.length = 0;
      await exchange.inspectKey(key);
      await exchange.readKey(key, key.site);
      expect(budget.asked[0]).toBe("connect");
      expect(budget.asked.at(-1)).toBe("watch");
      // Each request let go is observed once, with its outcome.
      expect(observed).toHaveLength(budget.asked.length);
      expect(observed.every((outcome) => outcome === "ok")).toBe(true);
    });

    it("answers a failure, never throws, on a site it does not know", async () => {
      const key = rig.issue("trade-only");
      expect(exchange.baseUrl("no-such-site")).toBeNull();
      for (const answer of [
        await exchange.inspectKey(key, "no-such-site"),
        await exchange.readKey(key, "no-such-site"),
        await exchange.isKeyAlive(key, "no-such-site"),
      ])
        expect(answer).toEqual({ ok: false, failure: "unavailable" });
    });

    it("answers a failure, never throws, when the exchange cannot be reached or does not answer", async () => {
      const dead = adapter.connect({ baseUrl: "http://127.0.0.1:9", timeoutMs: 500, requestsPer5s: 300, budget });
      const silent = await hangingServer();
      try {
        const hung = adapter.connect({ baseUrl: silent.url, timeoutMs: 300, requestsPer5s: 300, budget });
        const key = { apiKey: "unknownkey0123456", apiSecret: CANARY };
        const main = adapter.profile.sites[0]!.id;
        for (const answer of [
          await dead.inspectKey(key, main),
          await dead.isKeyAlive(key, main),
          await hung.readKey(key, main),
          await hung.snapshot(key, 0, main),
        ]) {
          expect(answer).toMatchObject({ ok: false, failure: expect.stringMatching(/^(unavailable|timeout)$/) });
        }
      } finally {
        await silent.stop();
      }
    });
  });
}

/** A server that takes requests and never answers. */
async function hangingServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
