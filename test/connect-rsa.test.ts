import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rateKeyOf } from "../src/budget/rate-budget.js";
import { canaryCredentials } from "./support/canaries.js";
import { makePairAndGetPublicKey, publicKeyOf } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterEach(() => h.stop());

describe("the recommended way: the bot makes the key pair", () => {
  it("offers two ways, recommended first, and connects with one message after the tap: the API key", async () => {
    const alice = h.follower();
    alice.say("/connect");
    expect(await alice.reply()).toContain("Make the key for me");
    const choice = h.telegram.lastBotMessage(alice.chat.id);
    const buttons = (
      choice.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }
    ).inline_keyboard.flat();
    expect(buttons.map((button) => button.text)).toEqual([
      "Make the key for me (nothing secret to copy)",
      "I have a key and secret",
      "Cancel",
    ]);

    h.telegram.pressButton(alice.user, choice, "connect:make-pair");
    // The public key alone (a one-line caption), then the steps with the way to Bybit's page.
    const keyAlone = await alice.reply();
    expect(keyAlone.split("\n")[0]).toBe("Your <b>public key</b> (tap it to copy):");
    const steps = await alice.reply();
    expect(steps).toContain("Self-generated API Keys");
    expect(steps).toContain('<a href="https://www.bybit.com/app/user/api-management">API Management</a>');
    expect(h.telegram.lastBotMessage(alice.chat.id).reply_markup).toMatchObject({
      inline_keyboard: [
        [{ text: "Open Bybit API Management", url: "https://www.bybit.com/app/user/api-management" }],
        [{ text: "Cancel" }],
      ],
    });
    const publicKeyPem = publicKeyOf(keyAlone);
    expect(createPublicKey(publicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);

    const key = h.bybit.createSelfGeneratedKey(publicKeyPem, { note: "self-made" });
    const keyMessage = alice.say(key.apiKey);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    const confirmation = await alice.reply();
    expect(confirmation).toContain("✅ Connected: key “self-made”");
    expect(confirmation).toContain("self-generated: its private key never left our vault");
    expect(h.telegram.messageExists(alice.chat.id, keyMessage.message_id)).toBe(false);

    const stored = await h.credentials.reveal(alice.user.id);
    expect(stored?.record.keyType).toBe("rsa");
    expect(stored?.credentials.apiKey).toBe(key.apiKey);
    // The stored private key is the one whose public key the follower pasted into Bybit.
    const derived = createPublicKey(stored!.credentials.apiSecret).export({ type: "spki", format: "pem" });
    expect(derived).toBe(publicKeyPem);
    expect(await h.redis.exists(`follower:{${alice.user.id}}:pending-key-pair`)).toBe(0);
    // Bybit saw only RSA-signed requests (the fake refuses any other signature for this key).
    expect(
      h.bybit.requests.filter((request) => request.apiKey === key.apiKey).map((request) => request.path),
    ).toContain("/v5/user/query-api");
    // Nothing the follower sent after the tap but the key itself.
    const sentAfterTap = h.telegram.calls.filter(
      (call) => call.method === "deleteMessage" && call.payload.chat_id === alice.chat.id,
    );
    expect(sentAfterTap).toHaveLength(1);
  });

  it("refuses a key registered with another public key, with the reason, and stores nothing", async () => {
    const alice = h.follower();
    await makePairAndGetPublicKey(h, alice);
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    const key = h.bybit.createSelfGeneratedKey(stranger);
    alice.say(key.apiKey);
    await alice.reply();
    const refusal = await alice.reply();
    expect(refusal).toContain(
      "Bybit did not accept my signature for this key: it was made with a different public key",
    );
    expect(refusal).toContain("Nothing was stored");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
  });

  it("tells the follower when the key pair has expired, and stores nothing", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    const key = h.bybit.createSelfGeneratedKey(publicKeyPem);
    // Past the pair's 30 minutes, each step answered within its 10 (a question at each).
    for (let step = 0; step < 4; step += 1) {
      h.now += 8 * 60_000;
      alice.say("where is that setting?");
      expect(await alice.reply()).toContain("We’re in the middle of connecting your key");
    }
    alice.say(key.apiKey);
    await alice.reply();
    expect(await alice.reply()).toContain("The public key I gave you has expired");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect(await h.redis.exists(`follower:{${alice.user.id}}:pending-key-pair`)).toBe(0);
  });

  it("waits for the API key as long as the public key is valid, not only the ten minutes of other steps", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    h.now += 29 * 60_000;
    alice.say(h.bybit.createSelfGeneratedKey(publicKeyPem, { note: "slow-but-fine" }).apiKey);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    expect(await alice.reply()).toContain("✅ Connected: key “slow-but-fine”");
  });

  it("when the public key's time is up, says to delete the key made with it in Bybit, deletes what came, and stores nothing", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    h.now += 30 * 60_000;
    const late = alice.say(h.bybit.createSelfGeneratedKey(publicKeyPem).apiKey);
    expect(await alice.reply()).toBe(
      "I deleted your message. The key connection had expired: I waited 30 minutes for the API key, and the public key I gave you expired with it, so I stored nothing. In Bybit, delete the key you made with that public key (API Management → Delete): it can’t be used any more. Then send /connect to start again.",
    );
    expect(h.telegram.messageExists(alice.chat.id, late.message_id)).toBe(false);
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect(await h.redis.exists(`follower:{${alice.user.id}}:pending-key-pair`)).toBe(0);
  });

  it("/connect mid-flow shows the same public key again; a new flow replaces the pending pair (within a minute it shows the same one), and /cancel drops it", async () => {
    const alice = h.follower();
    const first = await makePairAndGetPublicKey(h, alice);
    alice.say("/connect");
    expect(publicKeyOf(await alice.reply())).toBe(first);
    expect(await alice.reply()).toContain("Self-generated API Keys");
    // /rotate starts over (without a key it is a connect).
    expect(await makePairAndGetPublicKey(h, alice, "/rotate")).toBe(first);
    h.now += 61_000;
    const second = await makePairAndGetPublicKey(h, alice, "/rotate");
    expect(second).not.toBe(first);
    const pending = await h.pendingKeyPairs.open(alice.user.id, h.now);
    expect(createPublicKey(pending!.privateKeyPem).export({ type: "spki", format: "pem" })).toBe(second);
    alice.say("/cancel");
    expect(await alice.reply()).toBe("Cancelled. Nothing was stored.");
    expect(await h.redis.exists(`follower:{${alice.user.id}}:pending-key-pair`)).toBe(0);
  });

  it("hands one follower at most three pairs in ten minutes, whatever /cancel and /forget do, then says when to come back", async () => {
    const alice = h.follower();
    // About 17 rounds a minute keep under the limit on updates (10 in 10 s): here the seconds between
    // rounds pass by clearing its counter, not by waiting.
    const paced = () => h.redis.del(`updates:${rateKeyOf(alice.user.id)}`);
    const tries = async () => {
      await paced();
      alice.say("/connect");
      await alice.reply();
      h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:make-pair");
      const shown = await alice.reply();
      if (shown.includes("<pre>")) await alice.reply();
      alice.say("/cancel");
      await alice.reply();
      return shown;
    };
    const shown: string[] = [];
    // Five rounds within a minute, a few seconds apart (the once-a-minute reuse does not apply: /cancel dropped the pair).
    for (let round = 0; round < 5; round += 1) {
      shown.push(await tries());
      h.now += 10_000;
    }
    const keys = shown.filter((text) => text.includes("<pre>")).map(publicKeyOf);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    expect(shown.slice(3)).toEqual(
      Array(2).fill(
        "I’ve made several key pairs for you in the last few minutes, so I’m pausing for a while. Send /connect again in 10 minutes. Or, if you have a key and secret from Bybit, send /connect now and tap “I have a key and secret”.",
      ),
    );
    // /forget is no way around it.
    await paced();
    alice.say("/forget");
    await alice.reply();
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), `forget:${alice.user.id}`);
    expect(await alice.reply()).toContain("Done");
    expect(await tries()).toContain("I’m pausing for a while. Send /connect again in 10 minutes.");
    // Ten minutes after the first, one more.
    h.now += 10 * 60_000;
    expect(await tries()).toContain("<pre>");
  });

  it("deletes a pasted private key, explains, keeps waiting, and still connects", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    const leaked = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const pasted = alice.say(leaked);
    // On "Make the key for me" already: the hint fits the step, not "the safer way".
    const told = await alice.reply();
    expect(told).toContain("I deleted your message. ⚠️ That was a <b>private key</b>. I did not store or use it");
    expect(told).toContain("Here I need only the <b>API key</b> Bybit shows once you paste my public key.");
    expect(told).not.toContain("The safer way");
    expect(h.telegram.messageExists(alice.chat.id, pasted.message_id)).toBe(false);
    const secret = alice.say(canaryCredentials().apiSecret);
    expect(await alice.reply()).toContain("a key made with my public key has none");
    expect(h.telegram.messageExists(alice.chat.id, secret.message_id)).toBe(false);
    alice.say(publicKeyPem);
    expect(await alice.reply()).toContain("That is the public key: paste it into Bybit");

    alice.say(h.bybit.createSelfGeneratedKey(publicKeyPem).apiKey);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected");
  });

  it("serves a follower who pastes a key and secret instead of choosing, at once", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    alice.say("/connect");
    await alice.reply();
    alice.say(`API Key: ${creds.apiKey}\nAPI Secret: ${creds.apiSecret}`);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    expect(await alice.reply()).toContain("✅ Connected");
    expect((await h.credentials.reveal(alice.user.id))?.record.keyType).toBe("hmac");
  });

  it("rotates a self-generated key with a fresh pair, and the old key is named for deletion", async () => {
    const alice = h.follower();
    const firstPublic = await makePairAndGetPublicKey(h, alice);
    alice.say(h.bybit.createSelfGeneratedKey(firstPublic, { note: "first-rsa" }).apiKey);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected");

    h.now += 61_000;
    const secondPublic = await makePairAndGetPublicKey(h, alice, "/rotate");
    expect(secondPublic).not.toBe(firstPublic);
    alice.say(h.bybit.createSelfGeneratedKey(secondPublic, { note: "second-rsa" }).apiKey);
    await alice.reply();
    const confirmation = await alice.reply();
    expect(confirmation).toContain("✅ Connected: key “second-rsa”");
    expect(confirmation).toContain("Now delete the old key “first-rsa”");
    alice.say("/status");
    const status = await alice.reply();
    expect(status).toContain("Key “second-rsa”");
    expect(status).toContain("Kind: self-generated (its private key never left our vault)");
    const ref = (await h.credentials.current(alice.user.id))!.ref;
    const jobs = await h.queue.getJobs(["delayed", "waiting"]);
    expect(
      jobs
        .filter((job) => job.data.ref === ref)
        .map((job) => job.data.kind)
        .sort(),
    ).toEqual(["expiry", "expiry-1d", "expiry-7d", "rotate"]);
  });

  it("works downstream: /panic reads the account and verifies the revocation with the RSA key", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    const position = {
      category: "linear",
      settleCoin: "USDT",
      symbol: "BTCUSDT",
      side: "Buy",
      size: "0.5",
      avgPrice: "60000",
      markPrice: "61000",
      unrealisedPnl: "500",
      leverage: "3",
      liqPrice: "41000",
    } as const;
    const key = h.bybit.createSelfGeneratedKey(publicKeyPem, {
      note: "rsa-key",
      account: { positions: [position], orders: [], fills: [] },
    });
    alice.say(key.apiKey);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected");

    alice.say("/panic");
    expect(await alice.reply()).toContain("🧊 Frozen");
    expect(await alice.reply()).toContain("Now revoke the key in Bybit");
    expect(await alice.reply()).toContain("📸 Read while the key still worked: 1 open position");
    const pressDeleted = () => {
      const message = h.telegram
        .botMessages(alice.chat.id)
        .filter((sent) => JSON.stringify(sent.reply_markup ?? {}).includes("panic:"))
        .at(-1)!;
      const buttons = (
        message.reply_markup as { inline_keyboard: { callback_data: string }[][] }
      ).inline_keyboard.flat();
      h.telegram.pressButton(
        alice.user,
        message,
        buttons.find((button) => button.callback_data.startsWith("panic:deleted:"))!.callback_data,
      );
    };
    pressDeleted();
    expect(await alice.reply()).toBe("Checking with Bybit…");
    expect(await alice.reply()).toContain("⚠️ Bybit still accepts the key “rsa-key”");
    await alice.reply();
    h.bybit.revoke(key.apiKey);
    pressDeleted();
    expect(await alice.reply()).toBe("Checking with Bybit…");
    expect(await alice.reply()).toContain("✅ Verified: Bybit no longer accepts the key “rsa-key”");
    expect(await alice.reply()).toContain("• BTCUSDT Buy 0.5 @ 60000");
    expect(await h.panics.open(alice.user.id)).toEqual([]);
  });

  it("keeps the flow open after a refusal or a Bybit failure: the follower fixes the key and sends it again", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    alice.say(h.bybit.createSelfGeneratedKey(publicKeyPem, { readOnly: true, note: "read-only" }).apiKey);
    await alice.reply();
    const refusal = await alice.reply();
    expect(refusal).toContain("It is <b>read-only</b>");
    expect(refusal).toContain("then send it to me again, or /cancel. The public key I gave you still works.");

    h.bybit.mode = "server-error";
    const fixed = h.bybit.createSelfGeneratedKey(publicKeyPem, { note: "fixed" });
    alice.say(fixed.apiKey);
    await alice.reply();
    expect(await alice.reply()).toContain(
      "Bybit is not answering properly right now. Nothing was stored. Please wait a minute, then send it to me again",
    );
    h.bybit.mode = "normal";
    alice.say(fixed.apiKey);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    expect(await alice.reply()).toContain("✅ Connected: key “fixed”");
  });

  it("never lets a pasted private key into conversation state", async () => {
    const alice = h.follower();
    await makePairAndGetPublicKey(h, alice);
    alice.say(
      generateKeyPairSync("rsa", { modulusLength: 2048 })
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString(),
    );
    expect(await alice.reply()).toContain("That was a <b>private key</b>");
    // The next update of this chat is handled only once the last one's state is written.
    alice.say("where do I paste it?");
    expect(await alice.reply()).toContain("We’re in the middle of connecting your key");
    const key = `conversation:${alice.chat.id}`;
    const stored = JSON.parse((await h.redis.get(key))!) as string;
    const state = h.sealer.open(Buffer.from(stored, "base64"), `purpose=conversation|key=${key}`).toString("utf8");
    expect(state).toContain("connect:make-pair");
    expect(state).not.toContain("PRIVATE KEY");
  });

  it("keeps waiting for the self-generated key after a refused key and secret pasted instead", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    const readOnly = canaryCredentials();
    h.bybit.addKey({ ...readOnly, readOnly: true });
    alice.say(`${readOnly.apiKey} ${readOnly.apiSecret}`);
    await alice.reply();
    expect(await alice.reply()).toContain("then send it to me again, or /cancel.");
    alice.say(h.bybit.createSelfGeneratedKey(publicKeyPem, { note: "made-after-all" }).apiKey);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected: key “made-after-all”");
  });

  it("ends the flow and drops the key pair when /panic comes during the check", async () => {
    const alice = h.follower();
    const publicKeyPem = await makePairAndGetPublicKey(h, alice);
    let release: (() => void) | undefined;
    h.bybit.beforeAnswer = () => new Promise<void>((resolve) => (release = resolve));
    alice.say(h.bybit.createSelfGeneratedKey(publicKeyPem, { readOnly: true }).apiKey);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    // The check reaches Bybit a moment after "Checking…": /panic comes while Bybit holds it.
    while (!release) await new Promise((resolve) => setTimeout(resolve, 5));
    alice.say("/panic");
    expect(await alice.reply()).toContain("No key is connected, so there is nothing for me to freeze");
    h.bybit.beforeAnswer = undefined;
    release!();
    expect(await alice.reply()).toBe(
      "You sent /panic while I was checking this key, so I did not store it. Send /connect when you are ready.",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await h.redis.exists(`follower:{${alice.user.id}}:pending-key-pair`)).toBe(0);
  });
});
