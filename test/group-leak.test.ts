import { randomInt } from "node:crypto";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { TELEGRAM_LIMITS } from "../src/bot/sending/budget.js";
import { freezeKey } from "../src/use-cases/panic.js";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeChat } from "./support/fake-telegram.js";
import { submitKey } from "./support/flows.js";
import { startHarness, type Follower, type Harness } from "./support/harness.js";

// Issue 26, attack pass: the group-leak freeze next to /panic's, on a slow Telegram and after a crash.
let h: Harness;
afterEach(() => h.stop());

const BEAT_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connectedFollower(): Promise<{ alice: Follower; creds: { apiKey: string; apiSecret: string } }> {
  h = await startHarness({
    recoveryBeatMs: BEAT_MS,
    telegramLimits: { ...TELEGRAM_LIMITS, groupChat: { intervalMs: 100, toleranceMs: 0 } },
  });
  const alice = h.follower();
  const creds = canaryCredentials();
  h.bybit.addKey({ ...creds, note: "alice-key" });
  expect(await submitKey(alice, creds)).toContain("✅ Connected");
  return { alice, creds };
}

const aGroup = (): FakeChat => ({ id: -randomInt(1_000_000_000, 2 ** 40), type: "supergroup", title: "Copy traders" });

describe("a connected key posted in a group", () => {
  it("on a slow Telegram, tells its owner once, never that the bot was restarted", async () => {
    const { alice, creds } = await connectedFollower();
    // Telegram takes a second per message: longer than three beats of silence (what a restart looks like).
    h.telegram.delayMethod("sendMessage", 10 * BEAT_MS);
    h.telegram.sendText(alice.user, creds.apiSecret, aGroup());
    expect(await alice.reply()).toContain("🧊 You posted your connected key “alice-key”");
    expect(await alice.reply()).toContain("Now revoke the key in Bybit.");
    h.telegram.delayMethod("sendMessage", 0);
    await sleep(10 * BEAT_MS);
    // Before the fix: the steps were not beating while they went out, so the resender took them for cut short
    // and sent "Sorry: I was restarted just after freezing your key" with the steps a second time.
    const texts = alice.transcript().slice(3);
    expect(texts.join("\n")).not.toContain("I was restarted");
    expect(texts.filter((text) => text.includes("Now revoke the key in Bybit."))).toHaveLength(1);
  });

  it("frozen and then cut short by a crash: the steps come with why the key was frozen", async () => {
    const { alice } = await connectedFollower();
    const record = (await h.credentials.current(alice.user.id))!;
    // What a process that dies right after the group-leak freeze leaves: the key frozen, its steps owed, unsent.
    const deps = { ...h.services, logger: pino({ level: "silent" }), metrics: h.metrics, clock: () => h.now };
    const outcome = await freezeKey(deps, record, { by: "group-leak" });
    expect(outcome.kind).toBe("frozen");
    const steps = await alice.reply(5000);
    // Before the fix: "Sorry: I was restarted just after freezing your key, before the steps went out" to a follower
    // who never sent /panic and never heard that their key was seen in a group.
    expect(steps).toContain("🧊 You posted your connected key “alice-key”");
    expect(steps).toContain("in a group, so I froze it");
    expect(steps).toContain("Now revoke the key in Bybit.");
    expect(steps.length).toBeLessThanOrEqual(1000);
  });
});
