import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { forgetNow, repliesUntil, submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";

// What a follower of a regional Bybit site reads: the right site named, the right page linked.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterAll(() => h.stop());

describe("a follower who names their site", () => {
  it("/connect tr with a key Turkey does not know: only Turkey was asked, and plain /connect looks everywhere", async () => {
    const english = await submitKey(h.follower(), canaryCredentials(), "/connect tr");
    expect(english).not.toContain("on any of its sites");
    expect(english).toContain("Bybit Turkey does not know this API key");
    expect(english).toContain("send /connect alone and I will find it");
    const follower = h.follower({ languageCode: "ru" });
    const creds = canaryCredentials();
    follower.say("/connect tr");
    await follower.reply();
    follower.say(`${creds.apiKey} ${creds.apiSecret}`);
    await follower.reply();
    const russian = await follower.reply();
    expect(russian).not.toContain("ни на одном из своих сайтов");
    expect(russian).toContain("Bybit Turkey не знает этот API-ключ");
  });

  it("/connect tr and /rotate of a Turkish key show where to make the key: Turkey's API-management page", async () => {
    const turkey = 'href="https://www.bybit.tr/app/user/api-management"';
    for (const way of ["connect:have-secret", "connect:make-pair"]) {
      const named = h.follower();
      named.say("/connect tr");
      await named.reply();
      h.telegram.pressButton(named.user, h.telegram.lastBotMessage(named.chat.id), way);
      if (way === "connect:make-pair") await named.reply();
      expect(await named.reply()).toContain(turkey);
    }

    const rotating = h.follower();
    const creds = canaryCredentials();
    h.bybitSites.site("tr").addKey(creds);
    expect(await submitKey(rotating, creds)).toContain("Site: Bybit Turkey");
    rotating.say("/rotate");
    await rotating.reply();
    h.telegram.pressButton(rotating.user, h.telegram.lastBotMessage(rotating.chat.id), "connect:make-pair");
    await rotating.reply();
    expect(await rotating.reply()).toContain(turkey);
  });
});

describe("a follower of Bybit Turkey after a leak", () => {
  const turkey = 'href="https://www.bybit.tr/app/user/api-management"';

  it("a Turkish key connected by someone else already: delete it on Turkey's page", async () => {
    const creds = canaryCredentials();
    h.bybitSites.site("tr").addKey(creds);
    expect(await submitKey(h.follower(), creds)).toContain("Site: Bybit Turkey");
    const verdict = await submitKey(h.follower(), creds);
    expect(verdict).toContain("already connected to another account here");
    expect(verdict).toContain(turkey);
  });

  it("/panic, then Forget the key now: make sure it is deleted on Turkey's page", async () => {
    const follower = h.follower();
    const creds = canaryCredentials();
    h.bybitSites.site("tr").addKey(creds);
    expect(await submitKey(follower, creds)).toContain("Site: Bybit Turkey");
    follower.say("/panic");
    await repliesUntil(follower, "API Management");
    await forgetNow(h, follower);
    const forgot = (await repliesUntil(follower, "I did not check with Bybit")).at(-1)!;
    expect(forgot).toContain(turkey);
  });
});

describe("a regional host that does not answer", () => {
  it("a mistyped key is not 'Bybit did not answer': the global site does not know it, and which site was silent", async () => {
    h.bybitSites.site("nl").mode = "hang";
    try {
      const started = Date.now();
      const verdict = await submitKey(h.follower(), canaryCredentials());
      // The harness's Bybit timeout is 2 s: one round of the search, not more.
      expect(Date.now() - started).toBeLessThan(4000);
      expect(verdict).not.toContain("does not know this API key, on any of its sites");
      expect(verdict).toContain("Bybit’s global site does not know this API key");
      expect(verdict).toContain("Bybit Netherlands did not answer");
    } finally {
      h.bybitSites.site("nl").mode = "normal";
    }
  });
});
