import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeChat } from "./support/fake-telegram.js";
import { startHarness, type Harness } from "./support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.stop());

const group: FakeChat = { id: -1009876543210, type: "supergroup", title: "Copy traders" };
const channel: FakeChat = { id: -1005555555555, type: "channel", title: "Signals" };

/** Waits until Telegram no longer holds the message (or fails after a few seconds). */
async function gone(chatId: number, messageId: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (h.telegram.messageExists(chatId, messageId)) {
    if (Date.now() > deadline) throw new Error(`message ${messageId} is still in chat ${chatId}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("deletion wherever a credential can arrive", () => {
  it("deletes a key in a photo caption, in a private chat and in a group", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    const privatePhoto = h.telegram.sendPhoto(alice.user, `my key ${creds.apiKey} and secret ${creds.apiSecret}`);
    await gone(alice.chat.id, privatePhoto.message_id);
    expect(await alice.reply()).toContain("I deleted your message. It looked like an API key or secret");

    const groupPhoto = h.telegram.sendPhoto(alice.user, `${creds.apiKey} ${creds.apiSecret}`, group);
    await gone(group.id, groupPhoto.message_id);
    expect((await h.telegram.nextBotMessage(group.id)).payload.text).toContain(
      "I deleted a message that looked like an API key or secret",
    );
  });

  it("deletes a message edited to hold a key, in a private chat and in a group, and leaves ordinary edits alone", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    const harmless = alice.say("hello");
    expect(await alice.reply()).toContain("To start copying, send /connect");
    h.telegram.editText(harmless, "hello again");
    h.telegram.editText(harmless, `oops ${creds.apiSecret}`);
    await gone(alice.chat.id, harmless.message_id);
    expect(await alice.reply()).toContain("I deleted your message. It looked like an API key or secret");
    expect(alice.transcript()).toHaveLength(2);

    const groupMessage = h.telegram.sendText(alice.user, "gm everyone", group);
    h.telegram.editText(groupMessage, `API Key: ${creds.apiKey}`);
    await gone(group.id, groupMessage.message_id);
    expect((await h.telegram.nextBotMessage(group.id)).payload.text).toContain(
      "I deleted a message that looked like an API key or secret",
    );
  });

  it("deletes a key edited into a message in the middle of a connect flow", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    alice.say("/connect");
    await alice.reply();
    const note = alice.say("/status");
    await alice.reply();
    h.telegram.editText(note, creds.apiSecret);
    await gone(alice.chat.id, note.message_id);
  });

  it("deletes a key posted in a channel where the bot is an administrator", async () => {
    const creds = canaryCredentials();
    const post = h.telegram.postToChannel(channel, `signal bot creds: ${creds.apiKey} ${creds.apiSecret}`);
    await gone(channel.id, post.message_id);
    const ordinary = h.telegram.postToChannel(
      channel,
      "BTCUSDT long 64000, stop 62500 https://www.tradingview.com/chart/AbC12345/",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.telegram.messageExists(channel.id, ordinary.message_id)).toBe(true);
  });

  it("deletes a key sent in a business chat, through the business connection", async () => {
    const customer = h.follower();
    const creds = canaryCredentials();
    const message = h.telegram.sendBusinessMessage(
      customer.user,
      `${creds.apiKey} ${creds.apiSecret}`,
      "biz-connection-1",
    );
    await gone(customer.chat.id, message.message_id);
    expect(h.telegram.callsOf("deleteBusinessMessages")[0]?.payload).toEqual({
      business_connection_id: "biz-connection-1",
      message_ids: [message.message_id],
    });
  });

  it("deletes a reply whose quote shows a key", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    const reply = h.telegram.sendQuoting(alice.user, "is this right?", `${creds.apiKey} ${creds.apiSecret}`, group);
    await gone(group.id, reply.message_id);
  });
});
