import { randomInt } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TELEGRAM_LIMITS } from "../src/bot/sending/budget.js";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeChat } from "./support/fake-telegram.js";
import { submitKey } from "./support/flows.js";
import { startHarness, type Harness } from "./support/harness.js";

let h: Harness;
let group: FakeChat;
beforeEach(async () => {
  // About what the bot says in a group, not how often: a reply 100 ms after the last, not 3 s.
  h = await startHarness({ telegramLimits: { ...TELEGRAM_LIMITS, groupChat: { intervalMs: 100, toleranceMs: 0 } } });
  // A group of its own per test: a group's update limit lives in the Redis the test files share.
  group = { id: -randomInt(1_000_000_000, 2 ** 40), type: "supergroup", title: "Copy traders" };
});
afterEach(() => h.stop());

describe("in a group", () => {
  it("answers a command that carries a key about the key, not the command", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    const leaked = h.telegram.sendText(alice.user, `/connect ${creds.apiKey} ${creds.apiSecret}`, group);
    const reply = await h.telegram.nextBotMessage(group.id);
    expect(reply.payload.text).toContain(
      "I deleted a message that looked like an API key or secret. If it was real, delete that key in Bybit now",
    );
    expect(h.telegram.messageExists(group.id, leaked.message_id)).toBe(false);
  });

  it("never starts a flow and points to the private chat", async () => {
    const alice = h.follower();
    for (const command of ["/connect", "/rotate@keys_test_bot", "/status"]) {
      h.telegram.sendText(alice.user, command, group);
      const reply = await h.telegram.nextBotMessage(group.id);
      expect(reply.payload.text).toBe(
        "Keys go only in a private chat with me: https://t.me/keys_test_bot?start=connect",
      );
    }
    expect(h.telegram.botTexts(alice.chat.id)).toEqual([]);
  });

  it("deletes a message that looks like a key and says so", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    const leaked = h.telegram.sendText(alice.user, `here you go ${creds.apiKey} ${creds.apiSecret}`, group);
    const reply = await h.telegram.nextBotMessage(group.id);
    expect(reply.payload.text).toContain(
      "I deleted a message that looked like an API key or secret. If it was real, delete that key in Bybit now",
    );
    expect(h.telegram.messageExists(group.id, leaked.message_id)).toBe(false);
    expect(String(reply.payload.text)).not.toContain(creds.apiKey);
  });

  it("asks the members to delete it when the bot may not", async () => {
    const alice = h.follower();
    h.telegram.refuseDeletesIn(group.id);
    h.telegram.sendText(alice.user, canaryCredentials().apiSecret, group);
    const reply = await h.telegram.nextBotMessage(group.id);
    expect(reply.payload.text).toContain(
      "Telegram did not let me delete it (I need the right to delete messages). Please delete it now",
    );
  });

  it("stays quiet about ordinary messages", async () => {
    const alice = h.follower();
    h.telegram.sendText(alice.user, "gm everyone, BTC to 200k", group);
    h.telegram.sendText(alice.user, "/connect", group);
    const reply = await h.telegram.nextBotMessage(group.id);
    expect(reply.payload.text).toContain("Keys go only in a private chat");
    expect(h.telegram.callsOf("deleteMessage")).toEqual([]);
  });
});

describe("a connected key posted in a group", () => {
  it("is frozen as /panic freezes it, and its owner hears so in private with the steps", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "alice-key" });
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    // The secret alone is enough: it is the half that signs.
    h.telegram.sendText(alice.user, `is this right? ${creds.apiSecret}`, group);
    const told = await alice.reply();
    expect(told).toContain("🧊 You posted your connected key “alice-key”");
    expect(await alice.reply()).toContain("Now revoke the key in Bybit.");
    expect((await h.credentials.current(alice.user.id))?.status ?? "frozen").not.toBe("active");
    expect(await h.panics.open(alice.user.id)).toHaveLength(1);
    // The group hears the usual advice, and nothing about whose key it was.
    const inGroup = String((await h.telegram.nextBotMessage(group.id)).payload.text);
    expect(inGroup).toContain("I deleted a message that looked like an API key or secret.");
    expect(inGroup).not.toContain("alice-key");
  });

  it("leaves a key alone that is not the poster's, and a key of the poster's that differs", async () => {
    const alice = h.follower();
    const bob = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    h.telegram.sendText(bob.user, `${creds.apiKey} ${creds.apiSecret}`, group);
    h.telegram.sendText(alice.user, `${canaryCredentials().apiKey} ${canaryCredentials().apiSecret}`, group);
    await h.telegram.nextBotMessage(group.id);
    await h.telegram.nextBotMessage(group.id);
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");
    expect(h.telegram.botTexts(bob.chat.id)).toEqual([]);
  });
});
