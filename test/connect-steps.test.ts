import { afterEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { shown } from "./support/phone.js";
import { forgetNow, publicKeyOf, repliesUntil } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

/** `/connect`, then "I have a key and secret": the steps the follower follows in Bybit. */
async function secretSteps(egressIps: string[]): Promise<string> {
  h = await startHarness({ egressIps });
  const alice = h.follower();
  alice.say("/connect");
  await alice.reply();
  h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:have-secret");
  return alice.reply();
}

describe("the steps in Bybit", () => {
  it("recommend binding the key to the operator's IPs, each tap-to-copy, when it publishes them", async () => {
    const steps = await secretSteps(["203.0.113.10", "203.0.113.11"]);
    expect(steps).toContain(
      "IP restriction: <b>bind</b> it to <code>203.0.113.10</code>, <code>203.0.113.11</code> (tap to copy): " +
        "it then works only from our servers and never expires.",
    );
  });

  it("say no IP restriction when the operator publishes none", async () => {
    const steps = await secretSteps([]);
    expect(steps).toContain("IP restriction: none. The key then expires after 90 days.");
    expect(steps).not.toContain("bind");
  });
});

describe("every message of the journeys", () => {
  it.each(["en", "ru"])(
    "is at most 700 characters (%s): connect both ways, status, replace, panic, forget",
    async (languageCode) => {
      h = await startHarness({ egressIps: ["203.0.113.10", "203.0.113.11"], telegramLimits: ROOMY_CHATS });
      const alice = h.follower({ languageCode });
      alice.say("/start");
      await alice.reply();
      const creds = canaryCredentials();
      h.bybit.addKey({ ...creds, note: "first-key" });
      alice.say("/connect");
      await alice.reply();
      h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:have-secret");
      await alice.reply();
      alice.say(`${creds.apiKey} ${creds.apiSecret}`);
      await repliesUntil(alice, "✅");
      alice.say("/status");
      await alice.reply();
      alice.say("/rotate");
      await alice.reply();
      h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:make-pair");
      const publicKey = publicKeyOf(await alice.reply());
      await alice.reply();
      const made = h.bybit.createSelfGeneratedKey(publicKey, { note: "second-key" });
      alice.say(made.apiKey);
      await repliesUntil(alice, "✅");
      alice.say("/panic");
      await repliesUntil(alice, "📸");
      await forgetNow(h, alice);
      await repliesUntil(alice, languageCode === "ru" ? "Что делать дальше" : "What to do next");
      alice.say("/forget");
      await alice.reply();
      const texts = [...h.telegram.callsOf("sendMessage"), ...h.telegram.callsOf("editMessageText")]
        .filter((call) => call.payload.chat_id === alice.chat.id)
        .map((call) => shown(String(call.payload.text)));
      expect(texts.length).toBeGreaterThan(15);
      const long = texts.filter((text) => text.length > 700).map((text) => `${text.length}: ${text.slice(0, 80)}`);
      expect(long).toEqual([]);
    },
  );
});
