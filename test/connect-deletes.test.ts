import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterEach(() => h.stop());

async function toKeyStep(follower: Follower): Promise<void> {
  follower.say("/connect");
  expect(await follower.reply()).toContain("Let’s connect your Bybit account");
  h.telegram.pressButton(follower.user, h.telegram.lastBotMessage(follower.chat.id), "connect:have-secret");
  expect(await follower.reply()).toContain("System-generated API Keys");
}

describe("what stays in the chat during a flow", () => {
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
