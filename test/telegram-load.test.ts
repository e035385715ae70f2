import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeChat, FakeUser } from "./support/fake-telegram.js";
import { startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => h.stop());

/** Time enough for hundreds of replies at Telegram's 30 a second. */
const PATIENT = 30_000;

describe("replies under Telegram's limits", () => {
  it("delivers a reply through a 429 and a 502", async () => {
    const alice: Follower = h.follower();
    h.telegram.failNext("sendMessage", 429, 502);
    alice.say("/status");
    expect(await alice.reply(10_000)).toContain("No key is connected");
    expect(h.telegram.callsOf("sendMessage").filter((call) => call.payload.chat_id === alice.chat.id)).toHaveLength(3);
  }, 15_000);

  it("gives all of a burst of 100 /connect their instructions, and every stored key its confirmation", async () => {
    h.telegram.limitMessages(30);
    const followers = Array.from({ length: 100 }, () => h.follower());
    const keys = followers.map(() => canaryCredentials());
    keys.forEach((creds) => h.bybit.addKey(creds));

    for (const follower of followers) follower.say("/connect");
    for (const follower of followers)
      expect(await follower.reply(PATIENT)).toContain("Let’s connect your Bybit account");
    for (const follower of followers)
      h.telegram.pressButton(follower.user, h.telegram.lastBotMessage(follower.chat.id), "connect:have-secret");
    for (const follower of followers) expect(await follower.reply(PATIENT)).toContain("Now send me the <b>API key</b>");
    followers.forEach((follower, index) => follower.say(`${keys[index]!.apiKey} ${keys[index]!.apiSecret}`));
    for (const follower of followers) {
      expect(await follower.reply(PATIENT)).toBe("Checking the key with Bybit…");
      expect(await follower.reply(PATIENT)).toContain("✅ Connected");
    }
    const stored = await Promise.all(followers.map((follower) => h.credentials.current(follower.user.id)));
    expect(stored.every((record) => record?.status === "active")).toBe(true);
  }, 120_000);

  it("answers ten followers while an eleventh floods the bot, and tells the flooder once", async () => {
    h.telegram.limitMessages(30);
    const flooder = h.follower();
    const others = Array.from({ length: 10 }, () => h.follower());
    for (let i = 0; i < 300; i += 1) flooder.say(`message ${i}`);
    for (const follower of others) follower.say("/status");
    // Over the limit, a key is deleted all the same.
    const { apiKey, apiSecret } = canaryCredentials();
    const pasted = flooder.say(`${apiKey} ${apiSecret}`);

    for (const follower of others) expect(await follower.reply(PATIENT)).toBeTruthy();
    // What the flooder got: answers to the first updates of the window, one word about the limit, then silence.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const told = flooder.transcript();
    expect(told.filter((text) => text.startsWith("You’re sending messages faster than I can answer"))).toHaveLength(1);
    expect(told.length).toBeLessThanOrEqual(11);
    expect(h.telegram.messageExists(flooder.chat.id, pasted.message_id)).toBe(false);
  }, 60_000);
});

describe("floods in groups and channels", () => {
  // Chats of their own: a group's update limit lives in the Redis the test files share.
  const group: FakeChat = {
    id: -randomInt(1_000_000_000, 2 ** 40),
    type: "supergroup",
    title: "Any group the bot was added to",
  };

  async function keyStaysFor(): Promise<number> {
    const victim = h.follower();
    const { apiKey, apiSecret } = canaryCredentials();
    const leaked = victim.say(`${apiKey} ${apiSecret}`);
    const started = Date.now();
    while (h.telegram.messageExists(victim.chat.id, leaked.message_id) && Date.now() - started < 15_000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    return Date.now() - started;
  }

  it("never hold up a key's deletion elsewhere: 30 members sending 540 commands, or one sending 520 /panic", async () => {
    for (let member = 0; member < 30; member += 1) {
      const user: FakeUser = { id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: `member${member}` };
      for (let i = 0; i < 18; i += 1) h.telegram.sendText(user, "/status", group);
    }
    const one: FakeUser = { id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "one" };
    for (let i = 0; i < 520; i += 1) h.telegram.sendText(one, "/panic", group);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await keyStaysFor()).toBeLessThan(1000);
    const dropped = (await h.metrics.updatesDropped.get()).values.reduce((sum, value) => sum + value.value, 0);
    expect(dropped).toBeGreaterThan(1000);
  }, 40_000);

  it("limit a channel's posts too, which have no sender, and still delete every key posted", async () => {
    const channel: FakeChat = { id: -randomInt(1_000_000_000, 2 ** 40), type: "channel", title: "A channel" };
    const posts = Array.from({ length: 30 }, () => h.telegram.postToChannel(channel, canaryCredentials().apiSecret));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(posts.filter((post) => h.telegram.messageExists(channel.id, post.message_id))).toEqual([]);
    // Five notices at most in the window: the rest were dropped after their deletion.
    expect(h.telegram.botTexts(channel.id).length).toBeLessThanOrEqual(5);
  }, 20_000);
});
