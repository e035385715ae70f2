import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makePairAndGetPublicKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterEach(() => h.stop());

async function toChoice(follower: Follower): Promise<void> {
  follower.say("/connect");
  expect(await follower.reply()).toContain("Let’s connect your Bybit account");
}

async function toKeyStep(follower: Follower): Promise<void> {
  await toChoice(follower);
  h.telegram.pressButton(follower.user, h.telegram.lastBotMessage(follower.chat.id), "connect:have-secret");
  expect(await follower.reply()).toContain("System-generated API Keys");
}

describe("what stays in the chat during a flow", () => {
  it("deletes a photo at the key step whatever its caption says (most likely a screenshot of the key page)", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    const photo = h.telegram.sendPhoto(alice.user, "here you go");
    expect(await alice.reply()).toBe("I deleted your message. Please send the key as a text message, or /cancel.");
    expect(h.telegram.messageExists(alice.chat.id, photo.message_id)).toBe(false);
  });

  it("deletes a photo at the public-key step too", async () => {
    const alice = h.follower();
    await makePairAndGetPublicKey(h, alice);
    const photo = h.telegram.sendPhoto(alice.user, "is this right?");
    expect(await alice.reply()).toContain("I deleted your message.");
    expect(h.telegram.messageExists(alice.chat.id, photo.message_id)).toBe(false);
  });

  it("at the choice of ways, deletes a photo and a key split by a space, and keeps a plain question", async () => {
    const alice = h.follower();
    await toChoice(alice);
    const photo = h.telegram.sendPhoto(alice.user, "here you go");
    expect(await alice.reply()).toBe(
      "I deleted your message. Please tap one of the two buttons above, or paste your key, or /cancel.",
    );
    const split = alice.say("CK7XTOE18 Vyw6fuJbY");
    expect(await alice.reply()).toBe(
      "I deleted your message. Please tap one of the two buttons above, or paste your key, or /cancel.",
    );
    const question = alice.say("which one should I pick?");
    expect(await alice.reply()).toBe("Please tap one of the two buttons above, or paste your key, or /cancel.");
    expect(h.telegram.messageExists(alice.chat.id, photo.message_id)).toBe(false);
    expect(h.telegram.messageExists(alice.chat.id, split.message_id)).toBe(false);
    expect(h.telegram.messageExists(alice.chat.id, question.message_id)).toBe(true);
    expect(alice.transcript().join("\n")).not.toMatch(/CK7XTOE18|Vyw6fuJbY/);
  });

  it("keeps a question at the key step that names the key or 2FA, and answers it with a pointer", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    for (const text of ["Where is the API key?", "I turned on 2FA, now what?"]) {
      const question = alice.say(text);
      expect(await alice.reply()).toContain("We’re in the middle of connecting your key");
      expect(h.telegram.messageExists(alice.chat.id, question.message_id), text).toBe(true);
    }
  });
});
