import { afterEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

/** The most requests the fake Bybit saw in any 5 seconds. */
function busiestFiveSeconds(): number {
  const times = h.bybit.requests.map((request) => request.at).sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= 5000) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

async function connected(): Promise<Follower> {
  const follower = h.follower();
  const creds = canaryCredentials();
  h.bybit.addKey(creds);
  expect(await submitKey(follower, creds)).toContain("✅ Connected");
  return follower;
}

describe("the service's Bybit budget", () => {
  it("keeps a burst of connects under the budget in any 5 seconds, and serves every one", async () => {
    h = await startHarness({ worker: false, bybitRequestsPer5s: 20, telegramLimits: ROOMY_CHATS });
    const followers = Array.from({ length: 14 }, () => h.follower());
    const keys = followers.map(() => canaryCredentials());
    keys.forEach((creds) => h.bybit.addKey(creds));
    const verdicts = await Promise.all(
      followers.map(async (follower, index) => {
        follower.say("/connect");
        await follower.reply(20_000);
        follower.say(`${keys[index]!.apiKey} ${keys[index]!.apiSecret}`);
        await follower.reply(20_000);
        return follower.reply(20_000);
      }),
    );
    expect(verdicts.every((verdict) => verdict.includes("✅ Connected"))).toBe(true);
    // 28 requests at 20 per 5 s: the head start of a waiting follower lets at most one or two more through.
    expect(busiestFiveSeconds()).toBeLessThanOrEqual(22);
  }, 40_000);

  it("holds a follower who keeps asking to a few checks a minute, and still serves the others", async () => {
    h = await startHarness({ worker: false, telegramLimits: ROOMY_CHATS });
    const spammer = await connected();
    spammer.say("/panic");
    const steps = [await spammer.reply(), await spammer.reply()];
    expect(steps[1]).toContain("I deleted it");
    const said: string[] = [];
    for (let press = 0; press < 5; press += 1) {
      const before = spammer.transcript().length;
      h.telegram.pressButton(
        spammer.user,
        h.telegram
          .botMessages(spammer.chat.id)
          .filter((message) => JSON.stringify(message.reply_markup ?? "").includes("panic:deleted"))
          .at(-1)!,
        `panic:deleted:${(await h.panics.open(spammer.user.id))[0]!.record.ref}`,
      );
      await h.telegram.waitForCall(() => spammer.transcript().length > before);
      await new Promise((resolve) => setTimeout(resolve, 300));
      said.push(spammer.transcript().slice(before).join("\n"));
    }
    // The connect was one check; four presses more fit in the minute, the fifth waits.
    expect(said.slice(0, 4).every((text) => text.includes("Checking with Bybit…"))).toBe(true);
    expect(said[4]).toMatch(
      /I asked Bybit several times in a short time, and it lets us ask only so often\. Press <b>I deleted it<\/b> again in \d+ seconds/,
    );
    expect(said[4]).not.toContain("Checking with Bybit…");
    await connected();
  }, 30_000);
});
