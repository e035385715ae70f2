import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { credentialKey } from "../src/stores/credential-store.js";
import { canaryCredentials } from "./support/canaries.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

async function startConnect(follower: Follower): Promise<void> {
  follower.say("/connect");
  expect(await follower.reply()).toContain("Let’s connect your Bybit account");
}

/** A follower with "first-key" connected, and a second key ready in Bybit. */
async function connectedWithASecondKeyReady() {
  const alice = h.follower();
  const first = canaryCredentials();
  const second = canaryCredentials();
  h.bybit.addKey({ ...first, note: "first-key" });
  h.bybit.addKey({ ...second, note: "second-key" });
  await startConnect(alice);
  alice.say(`${first.apiKey} ${first.apiSecret}`);
  await alice.reply();
  expect(await alice.reply()).toContain("✅ Connected");
  return { alice, second };
}

async function chooseKeyAndSecret(follower: Follower): Promise<void> {
  const choice = h.telegram
    .botMessages(follower.chat.id)
    .filter((message) => JSON.stringify(message.reply_markup ?? {}).includes("connect:have-secret"))
    .at(-1)!;
  h.telegram.pressButton(follower.user, choice, "connect:have-secret");
  expect(await follower.reply()).toContain("System-generated API Keys");
}

describe("connecting a key", () => {
  beforeEach(async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
  });

  it("deletes both messages, checks the key with Bybit, stores it sealed and confirms", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "copy-trade-2026", totalEquity: "2500.75" });

    await startConnect(alice);
    const keyMessage = alice.say(creds.apiKey);
    expect(await alice.reply()).toContain("Now send the <b>API secret</b>");
    const secretMessage = alice.say(creds.apiSecret);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    const confirmation = await alice.reply();

    expect(confirmation).toContain("✅ Connected: key “copy-trade-2026”");
    expect(confirmation).toContain(`${creds.apiKey.slice(0, 4)}…${creds.apiKey.slice(-4)}`);
    expect(confirmation).toContain("Permissions: Contracts: Orders, Positions");
    expect(confirmation).toContain("Copying starts within seconds");
    expect(confirmation).toContain("2,500.75 USD");
    expect(confirmation).toMatch(/Expires: \d+ \w+ \d{4} \(in 89 days\)/);
    expect(h.telegram.messageExists(alice.chat.id, keyMessage.message_id)).toBe(false);
    expect(h.telegram.messageExists(alice.chat.id, secretMessage.message_id)).toBe(false);

    const stored = await h.credentials.reveal(alice.user.id);
    expect(stored?.credentials).toEqual(creds);
    expect(stored?.record).toMatchObject({
      status: "active",
      name: "copy-trade-2026",
      permissions: { ContractTrade: ["Order", "Position"] },
    });
    const raw = await h.redis.hgetall(credentialKey(alice.user.id));
    expect(JSON.stringify(raw)).not.toContain(creds.apiSecret);
    expect(JSON.stringify(raw)).not.toContain(creds.apiKey);
    for (const text of alice.transcript()) {
      expect(text).not.toContain(creds.apiKey);
      expect(text).not.toContain(creds.apiSecret);
    }
  });

  it("starts the flow from a ?start=connect link, and greets a connected follower at /start", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "main-key" });
    alice.say("/start connect");
    expect(await alice.reply()).toContain("Let’s connect your Bybit account");
    alice.say(`${creds.apiKey} ${creds.apiSecret}`);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected");
    alice.say("/start");
    const greeting = await alice.reply();
    expect(greeting).toContain("Your key “main-key”");
    expect(greeting).toContain("is connected. Send /status to see it");
  });

  it("takes the key and the secret in one message", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    await startConnect(alice);
    const message = alice.say(`${creds.apiKey}\n${creds.apiSecret}`);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    expect(await alice.reply()).toContain("✅ Connected");
    expect(h.telegram.messageExists(alice.chat.id, message.message_id)).toBe(false);
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(creds);
  });

  it("deletes both credential messages before the first request to Bybit", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    await startConnect(alice);
    const keyMessage = alice.say(creds.apiKey);
    await alice.reply();
    const secretMessage = alice.say(creds.apiSecret);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected");

    const deletions = h.telegram.callsOf("deleteMessage").filter((call) => call.payload.chat_id === alice.chat.id);
    expect(deletions.map((call) => call.payload.message_id)).toEqual([keyMessage.message_id, secretMessage.message_id]);
    const firstBybitRequest = h.bybit.requests.find((request) => request.apiKey === creds.apiKey)!;
    expect(firstBybitRequest.path).toBe("/v5/user/query-api");
    expect(Math.max(...deletions.map((call) => call.at))).toBeLessThan(firstBybitRequest.at);
  });

  it("deletes a malformed key or a sentence too, and asks again without repeating it", async () => {
    const alice = h.follower();
    await startConnect(alice);
    const question = alice.say("what is a self-generated key?");
    expect(await alice.reply()).toBe("Please tap one of the two buttons above, or paste your key, or /cancel.");
    expect(h.telegram.messageExists(alice.chat.id, question.message_id)).toBe(true);
    await chooseKeyAndSecret(alice);
    const typo = alice.say("abc123");
    expect(await alice.reply()).toContain("doesn’t look like an API key");
    const sentence = alice.say("my key is abc");
    expect(await alice.reply()).toContain("It reads like a sentence: please send only the <b>API key</b>");
    for (const message of [typo, sentence])
      expect(h.telegram.messageExists(alice.chat.id, message.message_id)).toBe(false);
    expect(alice.transcript().join("\n")).not.toContain("abc");
  });

  it("asks again for a non-text message", async () => {
    const alice = h.follower();
    await startConnect(alice);
    await chooseKeyAndSecret(alice);
    h.telegram.sendSticker(alice.user, alice.chat);
    expect(await alice.reply()).toContain("Please send the key as a text message");
  });

  it("leaves at /cancel, stores nothing and forgets the half-given key", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    await startConnect(alice);
    alice.say(creds.apiKey);
    await alice.reply();
    alice.say("/cancel");
    expect(await alice.reply()).toBe("Cancelled. Nothing was stored.");
    alice.say(creds.apiSecret);
    expect(await alice.reply()).toContain("I deleted your message. It looked like an API key or secret");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect(await h.redis.exists(`conversation:${alice.chat.id}`)).toBe(0);
    expect(h.bybit.requests).toHaveLength(0);
  });

  it("ends the flow first at /forget or /disconnect, says so, then does what was asked", async () => {
    const alice = h.follower();
    await startConnect(alice);
    alice.say("/forget");
    expect(await alice.reply()).toBe("First I stopped connecting a key.");
    expect(await alice.reply()).toContain("Delete your key, its reminders and its history?");
    await startConnect(alice);
    alice.say("/disconnect");
    expect(await alice.reply()).toBe("First I stopped connecting a key.");
    expect(await alice.reply()).toBe("No key is connected. Send /connect to connect your Bybit API key.");
    alice.say("hello");
    expect(await alice.reply()).not.toContain("Send the API key");
  });

  it("tells the follower to delete the message themselves when Telegram refuses, and goes on", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    await startConnect(alice);
    h.telegram.refuseDeletesIn(alice.chat.id);
    const pasted = alice.say(`${creds.apiKey} ${creds.apiSecret}`);
    // The warning and the flow's own messages go out side by side.
    const said = [await alice.reply(), await alice.reply(), await alice.reply()];
    expect(
      said.filter((text) =>
        text.includes("Telegram did not let me delete this message. Please delete it yourself now"),
      ),
    ).toHaveLength(1);
    expect(said.filter((text) => text.includes("✅ Connected"))).toHaveLength(1);
    const warning = h.telegram
      .callsOf("sendMessage")
      .find((call) => String(call.payload.text).includes("did not let me delete"));
    expect(warning?.payload.reply_parameters).toMatchObject({ message_id: pasted.message_id });
  });

  it("asks before replacing a connected key, keeps it on Keep or when the new key fails, replaces it on Replace", async () => {
    const { alice, second } = await connectedWithASecondKeyReady();

    alice.say("/connect");
    expect(await alice.reply()).toContain("You already have the key “first-key”");
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:keep");
    expect(await alice.reply()).toBe("Okay, your key stays as it is.");
    expect((await h.credentials.current(alice.user.id))?.name).toBe("first-key");

    alice.say("/connect");
    await alice.reply();
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:replace");
    expect(await alice.reply()).toBe("Okay, let’s connect the new key.");
    expect(await alice.reply()).toContain("Let’s connect your Bybit account");
    alice.say(`${second.apiKey} ${canaryCredentials().apiSecret}`);
    await alice.reply();
    const refusal = await alice.reply();
    expect(refusal).toContain("The secret does not match this key.");
    expect(refusal).toContain("Your key “first-key”");
    expect(refusal).toContain("stays connected.");
    expect((await h.credentials.current(alice.user.id))?.name).toBe("first-key");

    // The flow stays open: the right secret, sent next, replaces the key.
    expect(refusal).toContain("then send me the key and secret again, or /cancel.");
    alice.say(`${second.apiKey} ${second.apiSecret}`);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected: key “second-key”");
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(second);
  });

  it("takes a key pasted instead of answering “Replace it?” as a yes, and as the new key", async () => {
    const { alice, second } = await connectedWithASecondKeyReady();
    alice.say("/connect");
    expect(await alice.reply()).toContain("Replace it with a new one?");
    alice.say(`API Key: ${second.apiKey}\nAPI Secret: ${second.apiSecret}`);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    expect(await alice.reply()).toContain("✅ Connected: key “second-key”");
  });
});
