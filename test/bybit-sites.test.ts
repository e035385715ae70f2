import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineAccess } from "./support/engine-access.js";
import { canaryCredentials } from "./support/canaries.js";
import { makePairAndGetPublicKey, repliesUntil, submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

// Issue 29: a key that only a regional Bybit site knows connects without the follower naming the
// site, and everything after (status, watch, /panic, the engine, the events) uses that site.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterAll(() => h.stop());
/** Requests made with this API key, by site, since the last test. */
const sitesAskedFor = (apiKey: string) =>
  new Set(
    h.bybitSites
      .requestsBySite()
      .filter((request) => request.apiKey === apiKey)
      .map((request) => request.site),
  );

const turkish = (follower: Follower) => {
  const creds = canaryCredentials();
  const key = h.bybitSites.site("tr").addKey(creds);
  return { follower, creds, key };
};

describe("a key of Bybit Turkey", () => {
  it("connects with key and secret without naming the site, and says where it lives", async () => {
    const { follower, creds } = turkish(h.follower());
    const verdict = await submitKey(follower, creds);
    expect(verdict).toContain("✅ Connected");
    expect(verdict).toContain("Site: Bybit Turkey");
    const record = (await h.credentials.current(follower.user.id))!;
    expect(record).toMatchObject({ exchange: "bybit", site: "tr", baseUrl: h.bybitSites.site("tr").url });
    // Found on Turkey's host: the global host was asked first, and Turkey's answered.
    expect(sitesAskedFor(creds.apiKey)).toContain("tr");

    follower.say("/status");
    expect(await follower.reply()).toContain("Site: Bybit Turkey");
  });

  it("connects the recommended way too: our key pair, its public key pasted into Bybit Turkey", async () => {
    const follower = h.follower();
    const publicKey = await makePairAndGetPublicKey(h, follower);
    const made = h.bybitSites.site("tr").createSelfGeneratedKey(publicKey);
    follower.say(made.apiKey);
    const replies = await repliesUntil(follower, "✅ Connected");
    expect(replies.at(-1)).toContain("Site: Bybit Turkey");
    expect(await h.credentials.current(follower.user.id)).toMatchObject({ site: "tr", keyType: "rsa" });
  });

  it("is replaced by /rotate with another key of Turkey, and the old one's page is Turkey's", async () => {
    const { follower, creds } = turkish(h.follower());
    expect(await submitKey(follower, creds)).toContain("✅ Connected");
    const next = turkish(follower).creds;
    const verdict = await submitKey(follower, next, "/rotate");
    expect(verdict).toContain("Site: Bybit Turkey");
    expect(verdict).toContain('href="https://www.bybit.tr/app/user/api-management"');
    expect(await h.credentials.current(follower.user.id)).toMatchObject({
      site: "tr",
      maskedKey: expect.stringMatching(next.apiKey.slice(0, 4)),
    });
  });

  it("is read again by the key watch on Turkey's host", async () => {
    const { follower, creds, key } = turkish(h.follower());
    expect(await submitKey(follower, creds)).toContain("✅ Connected");
    const record = (await h.credentials.current(follower.user.id))!;
    const before = h.bybitSites.site("tr").requests.length;
    key.permissions = { ...key.permissions, Wallet: ["Withdraw"] };
    await h.lookNow(record);
    expect((await h.credentials.current(follower.user.id))?.status).toBe("frozen");
    expect(h.bybitSites.site("tr").requests.length).toBeGreaterThan(before);
    expect(await follower.reply()).toContain('href="https://www.bybit.tr/app/user/api-management"');
  });

  it("is frozen by /panic with Turkey's page in the steps, and its deletion checked with Turkey", async () => {
    const { follower, creds } = turkish(h.follower());
    expect(await submitKey(follower, creds)).toContain("✅ Connected");
    follower.say("/panic");
    const replies = await repliesUntil(follower, "API Management");
    expect(replies.at(-1)).toContain(
      '<a href="https://www.bybit.tr/app/user/api-management">Bybit Turkey → API Management</a>',
    );
    h.bybitSites.site("tr").revoke(creds.apiKey);
    const steps = h.telegram
      .botMessages(follower.chat.id)
      .filter((message) => JSON.stringify(message.reply_markup ?? {}).includes("panic:deleted"))
      .at(-1)!;
    const data = JSON.stringify(steps.reply_markup).match(/panic:deleted:[\w-]+/)![0];
    const asked = (site: string) =>
      h.bybitSites.requestsBySite().filter((request) => request.site === site && request.apiKey === creds.apiKey)
        .length;
    const before = { tr: asked("tr"), global: asked("global") };
    h.telegram.pressButton(follower.user, steps, data);
    await repliesUntil(follower, "deleted");
    // Verified with the host that knew the key, not with the global one (which never knew it).
    expect(asked("tr")).toBeGreaterThan(before.tr);
    expect(asked("global")).toBe(before.global);
  });

  it("is opened by the engine for Turkey's host, and its events name the site", async () => {
    const { follower, creds } = turkish(h.follower());
    expect(await submitKey(follower, creds)).toContain("✅ Connected");
    const access = engineAccess(h);
    const opened = await access.open(follower.user.id);
    expect(opened).toMatchObject({ ok: true, baseUrl: h.bybitSites.site("tr").url, facts: { site: "tr" } });
    const connected = `type connected userId ${follower.user.id} .* exchange bybit site tr .* baseUrl ${h.bybitSites.site("tr").url}`;
    await expect
      .poll(async () => (await h.redis.xrange(h.events.stream, "-", "+")).map(([, fields]) => fields.join(" ")))
      .toContainEqual(expect.stringMatching(new RegExp(connected)));
  });
});

describe("keys of other sites", () => {
  it("a key of the global site never causes a request to a regional host", async () => {
    const follower = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    expect(await submitKey(follower, creds)).toContain("✅ Connected");
    expect(sitesAskedFor(creds.apiKey)).toEqual(new Set(["global"]));
  });

  it("a key of Bybit EU gets the honest answer, and nothing is stored", async () => {
    for (const bound of [false, true]) {
      const follower = h.follower();
      const creds = canaryCredentials();
      // A key made for an app on EU's list is bound to that app's addresses: 10010 from here.
      h.bybitSites.site("eu").addKey({ ...creds, ...(bound ? { ips: ["198.51.100.7"] } : {}) });
      const verdict = await submitKey(follower, creds);
      expect(verdict).toContain("This key belongs to Bybit EU");
      expect(verdict).toContain("only for the apps on its own list");
      expect(await h.credentials.current(follower.user.id)).toBeNull();
    }
  });

  it("/connect tr checks the key on Turkey's host alone", async () => {
    const follower = h.follower();
    const creds = canaryCredentials();
    h.bybitSites.site("tr").addKey(creds);
    expect(await submitKey(follower, creds, "/connect tr")).toContain("Site: Bybit Turkey");
    expect(sitesAskedFor(creds.apiKey)).toEqual(new Set(["tr"]));
  });

  it("/connect eu answers at once, and /connect with an unknown site lists the sites", async () => {
    const follower = h.follower();
    follower.say("/connect eu");
    expect(await follower.reply()).toContain("This key belongs to Bybit EU");
    follower.say("/connect mars");
    const reply = await follower.reply();
    expect(reply).toContain("I don’t know a Bybit site called “mars”");
    expect(reply).toContain("/connect tr</code> (Bybit Turkey)");
  });
});
