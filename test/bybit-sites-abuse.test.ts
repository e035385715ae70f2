import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";

// What a follower can make of `/connect <site>` and of the search over Bybit's sites.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterAll(() => h.stop());

describe("/connect <site> with something else after it", () => {
  it("a key (and secret) pasted after /connect is deleted and never repeated, in any case", async () => {
    for (const withSecret of [true, false]) {
      const follower = h.follower();
      const creds = canaryCredentials();
      const pasted = follower.say(`/connect ${creds.apiKey}${withSecret ? ` ${creds.apiSecret}` : ""}`);
      const reply = await follower.reply();
      expect(reply).toContain("I deleted your message. It looked like an API key or secret");
      for (const part of [creds.apiKey, creds.apiSecret])
        expect(reply.toLowerCase()).not.toContain(part.slice(0, 8).toLowerCase());
      expect(h.telegram.messageExists(follower.chat.id, pasted.message_id)).toBe(false);
      expect(h.bybitSites.requestsBySite().filter((request) => request.apiKey === creds.apiKey)).toEqual([]);
    }
  });
});
