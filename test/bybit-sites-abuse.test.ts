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

describe("the search over Bybit's sites, per follower", () => {
  it("three searches, then the global site alone, with a way on: junk again and again costs one request a check", async () => {
    const follower = h.follower();
    const requests: number[] = [];
    const verdicts: string[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const creds = canaryCredentials();
      follower.say("/connect");
      await follower.reply();
      follower.say(`${creds.apiKey} ${creds.apiSecret}`);
      await follower.reply();
      verdicts.push(await follower.reply());
      requests.push(h.bybitSites.requestsBySite().filter((request) => request.apiKey === creds.apiKey).length);
    }
    // Each of the first three asked every site; the fourth, the global one alone.
    expect(requests).toEqual([9, 9, 9, 1]);
    expect(verdicts[2]).toContain("Bybit does not know this API key, on any of its sites");
    expect(verdicts[3]).toContain("Bybit’s global site does not know this API key");
    expect(verdicts[3]).toContain("/connect tr");
    // Naming the site still works: the search is not needed for it.
    const turkish = canaryCredentials();
    h.bybitSites.site("tr").addKey(turkish);
    follower.say("/connect tr");
    await follower.reply();
    follower.say(`${turkish.apiKey} ${turkish.apiSecret}`);
    await follower.reply();
    expect(await follower.reply()).toContain("✅ Connected");
  });
});
