import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomInt } from "node:crypto";
import { createLogger } from "../src/infra/logger.js";
import { reminderTimes } from "../src/policy/rotation.js";
import type { CredentialRecord } from "../src/stores/credential-store.js";
import { admit } from "../src/use-cases/connect.js";
import { freezeKey, freezeTooPress, panic } from "../src/use-cases/panic.js";
import { forgetFlow, verifyRevocation } from "../src/use-cases/revocation.js";
import { rotatePress } from "../src/use-cases/rotate.js";
import { status } from "../src/use-cases/status.js";
import { canaryCredentials } from "./support/canaries.js";
import { ROTATION, startHarness, type Harness } from "./support/harness.js";

// The use cases called as a web page or an OAuth callback would call them: with the composition root's
// parts and no grammY, against the real stores (Redis) and the fake Bybit. Their outcomes are plain data.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const logs: string[] = [];
const deps = () => ({
  ...h.services,
  metrics: h.metrics,
  clock: () => h.now,
  egressIps: [],
  logger: createLogger({ level: "info", neverLog: [], destination: { write: (line: string) => logs.push(line) } }),
});
const newFollower = () => randomInt(1_000_000, 2 ** 40);
const counted = async (outcome: string) =>
  (await h.metrics.panics.get()).values.find((value) => value.labels.outcome === outcome)?.value ?? 0;

/** A key made in Bybit and connected through the connect use case: the follower's slot as stored. */
async function connected(userId: number, note = "copy-trade") {
  const credentials = canaryCredentials();
  h.bybit.addKey({ ...credentials, note });
  const previous = await h.credentials.current(userId);
  const flow = { previous, panicEpoch: await h.credentials.panicEpoch(userId) };
  const admission = await admit(deps(), userId, { type: "hmac", credentials }, flow);
  expect(admission.outcome).toBe("connected");
  return { record: (await h.credentials.current(userId))!, credentials };
}

/** Freezes through the use case, with its housekeeping done and its steps said to be shown. */
async function frozen(record: CredentialRecord) {
  const outcome = await freezeKey(deps(), record);
  if (outcome.kind !== "frozen") throw new Error(`not frozen: ${outcome.kind}`);
  await outcome.housekeeping;
  await h.services.panicSteps.sent({ userId: record.userId, ref: record.ref });
  return outcome.flow;
}

describe("the use cases, without the chat", () => {
  it("connect: accepts a key with its facts and reminders, and refuses the same key again, saying why", async () => {
    const userId = newFollower();
    const credentials = canaryCredentials();
    h.bybit.addKey({ ...credentials, note: "web-key" });
    const flow = { previous: null, panicEpoch: await h.credentials.panicEpoch(userId) };
    const accepted = await admit(deps(), userId, { type: "hmac", credentials }, flow);
    const record = (await h.credentials.current(userId))!;
    expect(accepted).toEqual({
      outcome: "connected",
      record,
      equityUsd: "1234.5",
      warnings: [],
      times: reminderTimes(record, ROTATION),
      now: h.now,
    });
    expect(record).toMatchObject({ userId, name: "web-key", status: "active", exchange: "bybit" });
    expect(JSON.stringify(accepted)).not.toContain(credentials.apiSecret);

    const again = await admit(deps(), userId, { type: "hmac", credentials }, { ...flow, previous: record });
    expect(again).toEqual({ outcome: "refused", refusal: { kind: "same-key" }, why: ["same-key"], current: record });
  });

  it("status: nothing, then the key and its reminders, then the frozen key, then what became of it", async () => {
    const userId = newFollower();
    expect(await status(deps(), userId)).toEqual({ kind: "none", lastRevoked: null, frozen: [] });

    const { record } = await connected(userId);
    expect(await status(deps(), userId)).toEqual({
      kind: "connected",
      record,
      reminders: reminderTimes(record, ROTATION),
      now: h.now,
      frozen: [],
    });

    const flow = await frozen(record);
    expect(await status(deps(), userId)).toEqual({ kind: "none", lastRevoked: null, frozen: [flow] });

    await forgetFlow(deps(), userId, record.ref);
    expect(await status(deps(), userId)).toEqual({
      kind: "none",
      lastRevoked: {
        keyName: record.name,
        maskedKey: record.maskedKey,
        frozenAt: flow.frozenAt,
        revokedVerified: false,
      },
      frozen: [],
    });
  });

  it("rotate: a press for the key in the slot begins the rotation; one for another key or none does not", async () => {
    const userId = newFollower();
    const { record: old } = await connected(userId, "old");
    const { record: current } = await connected(userId, "new");
    const at = (ms: number) => Math.floor(ms / 1000);
    expect(await rotatePress(deps(), userId, { ref: current.ref, messageDate: 0 })).toEqual({
      kind: "rotate",
      current,
    });
    expect(await rotatePress(deps(), userId, { ref: old.ref, messageDate: 0 })).toEqual({
      kind: "old-button",
      inUse: true,
    });
    // A button sent before buttons named their key: about this key only if it came after it was connected.
    const unnamed = { ref: undefined, messageDate: at(current.connectedAt) - 60 };
    expect(await rotatePress(deps(), userId, unnamed)).toEqual({ kind: "old-button", inUse: true });
    const later = { ref: undefined, messageDate: at(current.connectedAt) + 1 };
    expect(await rotatePress(deps(), userId, later)).toEqual({ kind: "rotate", current });

    await h.credentials.purge(userId);
    expect(await rotatePress(deps(), userId, { ref: current.ref, messageDate: 0 })).toEqual({
      kind: "old-button",
      inUse: false,
    });
  });

  it("panic: no key; freeze the key (owed steps, denied, out of the slot); raced; ask about a newer key", async () => {
    const userId = newFollower();
    const noKey = await counted("no-key");
    expect(await panic(deps(), userId)).toEqual({ kind: "no-key", open: [] });
    expect(await counted("no-key")).toBe(noKey + 1);

    const { record } = await connected(userId);
    expect(await panic(deps(), userId)).toEqual({ kind: "freeze", current: record, open: [] });
    const before = await counted("frozen");
    const outcome = await freezeKey(deps(), record);
    expect(outcome).toMatchObject({
      kind: "frozen",
      flow: { record: { ref: record.ref, status: "frozen" }, snapshot: { state: "pending" } },
    });
    expect(await counted("frozen")).toBe(before + 1);
    // The steps are owed from before the freeze until the caller says they were shown.
    expect(await h.services.panicSteps.owesTo(userId)).toBe(true);
    await h.services.panicSteps.sent({ userId, ref: record.ref });
    if (outcome.kind !== "frozen") throw new Error("not frozen");
    await outcome.housekeeping;
    expect(await h.services.denylist.has(record)).toBe(true);
    expect(await h.credentials.current(userId)).toBeNull();

    // Frozen already (another /panic a moment ago): its flow, to show its steps again.
    expect(await freezeKey(deps(), record)).toEqual({ kind: "raced", flow: outcome.flow });
    expect(await h.services.panicSteps.owesTo(userId)).toBe(false);
    // A retry finds nothing left to freeze.
    expect(await freezeKey(deps(), record, { retry: true })).toEqual({ kind: "gone" });

    const { record: fresh } = await connected(userId, "fresh");
    expect(await panic(deps(), userId)).toEqual({ kind: "newer-key", current: fresh, open: [outcome.flow] });
    expect(await freezeTooPress(deps(), userId, record.ref)).toEqual({ kind: "expired" });
    expect(await freezeTooPress(deps(), userId, fresh.ref)).toEqual({ kind: "freeze", current: fresh });
  });

  it("revocation: still active until Bybit refuses the key, then ended once; forget ends it unverified", async () => {
    const userId = newFollower();
    const { record, credentials } = await connected(userId);
    const flow = await frozen(record);
    expect(await verifyRevocation(deps(), userId, record.ref)).toEqual({ kind: "still-active", flow });

    h.bybit.revoke(credentials.apiKey);
    const said: string[] = [];
    const verified = await verifyRevocation(deps(), userId, record.ref, {
      checking: async () => void said.push("checking"),
    });
    const facts = { keyName: record.name, maskedKey: record.maskedKey, frozenAt: flow.frozenAt };
    expect(verified).toEqual({
      kind: "revoked",
      ending: {
        kind: "ended",
        facts: { ...facts, revokedVerified: true },
        record: expect.objectContaining({ ref: record.ref, site: "global" }),
        account: null,
        keyConnected: false,
      },
    });
    expect(said).toEqual(["checking"]);
    expect(await h.panics.revocation(userId)).toEqual({ ...facts, revokedVerified: true });
    // Ended: both buttons have expired.
    expect(await verifyRevocation(deps(), userId, record.ref)).toEqual({ kind: "flow-gone" });
    expect(await forgetFlow(deps(), userId, record.ref)).toEqual({ kind: "flow-gone" });

    // "Forget it now", with a fresh key connected meanwhile (another follower: a few checks a minute each).
    const other = newFollower();
    const { record: leaked } = await connected(other, "leaked");
    const leakedFlow = await frozen(leaked);
    await connected(other, "fresh");
    expect(await forgetFlow(deps(), other, leaked.ref)).toEqual({
      kind: "ended",
      facts: { keyName: "leaked", maskedKey: leaked.maskedKey, frozenAt: leakedFlow.frozenAt, revokedVerified: false },
      record: expect.objectContaining({ ref: leaked.ref }),
      account: null,
      keyConnected: true,
    });
    expect(await forgetFlow(deps(), other, leaked.ref)).toEqual({ kind: "flow-gone" });
  });
});
