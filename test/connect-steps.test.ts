import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./support/harness.js";

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
      "IP restriction: <b>bind</b> it to <code>203.0.113.10</code>, <code>203.0.113.11</code> (tap to copy). " +
        "A bound key works only from our servers and never expires",
    );
  });

  it("say no IP restriction when the operator publishes none", async () => {
    const steps = await secretSteps([]);
    expect(steps).toContain("IP restriction: none. The key then expires after 90 days.");
    expect(steps).not.toContain("bind");
  });
});
