import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TELEGRAM_LIMITS } from "../src/bot/sending/budget.js";
import { randomAlphanumeric } from "./support/canaries.js";
import { startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
beforeAll(async () => {
  // About keys, not Telegram's limits: 1,500 messages at 27 a second would take a minute.
  h = await startHarness({
    worker: false,
    telegramLimits: { ...TELEGRAM_LIMITS, allChats: { intervalMs: 1, replyHeadStartMs: 100 } },
  });
});
afterAll(() => h.stop());

/** Key and secret the way Bybit draws them: uniformly from letters and digits, with no class promised. */
function drawCredentials(index: number) {
  // A few hundred draws hold a few all-letter keys by chance; make sure some are there.
  const letters = (length: number) =>
    randomAlphanumeric(length * 3)
      .replace(/\d/g, "")
      .slice(0, length);
  return index % 25 === 0
    ? { apiKey: letters(18), apiSecret: letters(36) }
    : { apiKey: randomAlphanumeric(18), apiSecret: randomAlphanumeric(36) };
}

async function connectWith(
  follower: Follower,
  creds: { apiKey: string; apiSecret: string },
  inTwoMessages: boolean,
): Promise<string> {
  follower.say("/connect");
  await follower.reply();
  if (inTwoMessages) {
    follower.say(creds.apiKey);
    await follower.reply();
    follower.say(creds.apiSecret);
  } else {
    follower.say(`${creds.apiKey} ${creds.apiSecret}`);
  }
  await follower.reply();
  return follower.reply();
}

describe("every key Bybit can issue", () => {
  // 300 through the whole bot (flow, paste reading, deletion, check), half of them in two messages: twelve
  // all-letter keys forced, and about 4% of the rest by chance. The parser alone takes 1,000 random draws
  // (credential-format.test.ts), where they cost milliseconds rather than half a minute.
  it("accepts 300 keys and secrets drawn from letters and digits, all-letter ones included, when Bybit accepts them", async () => {
    const draws = Array.from({ length: 300 }, (_, index) => drawCredentials(index));
    for (const creds of draws) h.bybit.addKey(creds);
    const refused: string[] = [];
    for (let start = 0; start < draws.length; start += 100) {
      await Promise.all(
        draws.slice(start, start + 100).map(async (creds, offset) => {
          const verdict = await connectWith(h.follower(), creds, (start + offset) % 2 === 1);
          if (!verdict.includes("✅ Connected")) refused.push(`${creds.apiKey}: ${verdict.slice(0, 80)}`);
        }),
      );
    }
    expect(draws.filter(({ apiKey }) => !/\d/.test(apiKey)).length).toBeGreaterThanOrEqual(12);
    expect(refused).toEqual([]);
  }, 120_000);
});
