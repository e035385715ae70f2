import { randomInt } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { TELEGRAM_LIMITS } from "../src/bot/sending/budget.js";
import { canaryCredentials } from "./support/canaries.js";
import { submitKey } from "./support/flows.js";
import { startHarness, type Harness } from "./support/harness.js";
import { useOwnRedis } from "./support/own-redis.js";

// Issue 26, attack pass: a key posted in a group while Redis is at its memory limit.
const own = useOwnRedis();
let h: Harness;
afterEach(async () => {
  await own.redis.config("SET", "maxmemory", "0");
  await h.stop();
});

describe("a connected key posted in a group while Redis refuses writes", () => {
  it("says to delete it in Bybit now, and freezes it once Redis takes writes again, as promised", async () => {
    h = await startHarness({
      redisTarget: { url: own.url },
      telegramLimits: { ...TELEGRAM_LIMITS, groupChat: { intervalMs: 100, toleranceMs: 0 } },
    });
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "alice-key" });
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    await own.redis.config("SET", "maxmemory", "1");
    const group = { id: -randomInt(1_000_000_000, 2 ** 40), type: "supergroup" as const, title: "Copy traders" };
    h.telegram.sendText(alice.user, creds.apiSecret, group);
    expect(await alice.reply()).toContain("I could not freeze your key “alice-key”");
    await own.redis.config("SET", "maxmemory", "0");
    // Before the fix: "I keep trying to freeze it here", and nothing ever tried: the key stayed active.
    expect(await alice.reply(5000)).toContain("🧊 You posted your connected key “alice-key”");
    expect(await alice.reply()).toContain("Now revoke the key in Bybit.");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect(await h.panics.open(alice.user.id)).toHaveLength(1);
  });
});
