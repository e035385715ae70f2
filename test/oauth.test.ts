import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { OAUTH_CALLBACK_PATH } from "../src/bot/web/connect-with-bybit.js";
import { webFeatures } from "../src/bot/web/configured.js";
import { browserCookie } from "../src/bot/web/oauth-start.js";
import type { FakeOAuthApp } from "./support/fake-bybit-oauth.js";
import { BOT_TOKEN, type Follower } from "./support/harness.js";
import { initDataOf } from "./support/mini-app.js";
import { EGRESS, startOAuthRig, type OAuthRig } from "./support/oauth-rig.js";
import { RedisMonitor } from "./support/redis-monitor.js";

let rig: OAuthRig;
let running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running) await stop();
  running = [];
});

/** The bot with Connect with Bybit on: PUBLIC_URL on a port chosen first, Bybit's OAuth fake issuing into its Bybit. */
async function start(app: Partial<FakeOAuthApp> = {}, bybitTimeoutMs?: number): Promise<OAuthRig> {
  rig = await startOAuthRig(app, bybitTimeoutMs ? { bybitTimeoutMs } : {});
  running.push(() => rig.stop());
  return rig;
}

/** The follower's own tap, begin and approval; then their browser comes back to our callback. */
async function approvedCallback(follower: Follower, decision: "approve" | "deny" = "approve") {
  const { browser, back } = await rig.approve(follower, decision);
  return { back, page: await browser.open(back), browser };
}

describe("Connect with Bybit", () => {
  it("opens our start page, then Bybit's page with a one-time state; approving connects, once", async () => {
    const monitor = await RedisMonitor.start(inject("redisUrl"));
    const { h, oauth, publicUrl } = await start();
    const alice = h.follower();
    const buttons = await rig.choose(alice);
    expect(buttons.map((button) => button.text)).toEqual([
      "🔗 Connect with Bybit (one tap, nothing to copy)",
      "Make the key for me (nothing secret to copy)",
      "I have a key and secret",
      "Cancel",
    ]);
    // A web_app button (Telegram signs who tapped it) to our start page, not a link straight to Bybit.
    expect(buttons[0]!.url).toBeUndefined();
    const startUrl = new URL(buttons[0]!.web_app!.url);
    expect(`${startUrl.origin}${startUrl.pathname}`).toBe(`${publicUrl}/oauth/bybit/start`);
    expect([...startUrl.searchParams.keys()]).toEqual(["t"]);

    // The page and its own script: nothing from elsewhere, nothing cached.
    const browser = rig.browser();
    const startPage = await browser.open(startUrl.toString());
    expect(startPage.status).toBe(200);
    expect(startPage.text).toContain('<script src="start.js" defer></script>');
    expect(startPage.headers.get("content-security-policy")).toMatch(
      /^default-src 'none'; script-src 'self'; connect-src 'self';/,
    );
    expect(startPage.headers.get("cache-control")).toBe("no-store");
    expect(startPage.headers.get("referrer-policy")).toBe("no-referrer");
    const script = await browser.open(`${publicUrl}/oauth/bybit/start.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.text).toContain("tgWebAppData");

    const begun = await browser.begin(startUrl.toString(), initDataOf(alice));
    expect(begun.status).toBe(200);
    expect(browser.setCookies).toEqual([
      expect.stringMatching(/^bybit_oauth=[\w-]{43}; Path=\/oauth\/bybit; Max-Age=600; HttpOnly; SameSite=Lax$/),
    ]);
    const url = new URL(String(begun.body.authorizeUrl));
    expect(`${url.origin}${url.pathname}`).toBe(oauth.authorizeUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: "copy-app",
      response_type: "code",
      redirect_uri: `${publicUrl}${OAUTH_CALLBACK_PATH}`,
      scope: "openapi",
      state: startUrl.searchParams.get("t"),
    });

    const back = await oauth.decide(url.toString(), "approve");
    expect(back.startsWith(`${publicUrl}${OAUTH_CALLBACK_PATH}/?response_type=code&code=`)).toBe(true);
    const page = await browser.open(back);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Done: your Bybit account is connected. Go back to Telegram.");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none';/);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    // The cookie has done its work: cleared.
    expect(browser.setCookies.at(-1)).toMatch(/^bybit_oauth=; Path=\/oauth\/bybit; Max-Age=0;/);

    const said = await alice.reply();
    expect(said).toContain("✅ Connected with Bybit: key “copy-app-oauth”");
    expect(said).toContain("Permissions: Contracts: Orders, Positions");
    expect(said).toContain("Expiry: none in Bybit");
    expect(said).toContain("I’ll remind you to replace it on");
    const record = await h.credentials.current(alice.user.id);
    expect(record).toMatchObject({ status: "active", origin: "oauth", expiresAt: null });

    // The same address again (a reload, a replay): the state is spent, and no code goes to Bybit twice.
    const again = await browser.open(back);
    expect(again.status).toBe(400);
    expect(again.text).toContain("This link was already used or has expired");
    expect(oauth.tokenCalls).toBe(1);

    await h.eventsRelayed(alice.user.id);
    const entries = await h.redis.xrange(h.events.stream, "-", "+");
    const fields = entries.map(([, entry]) => entry).find((entry) => entry.includes(String(alice.user.id)))!;
    expect(fields[fields.indexOf("type") + 1]).toBe("connected");
    expect(fields[fields.indexOf("origin") + 1]).toBe("oauth");

    // Nothing secret anywhere: not the app's secret, not the key's secret, nor the key itself.
    await monitor.caughtUp(h.redis);
    monitor.stop();
    const secrets = [rig.clientSecret, oauth.issued[0]!.apiSecret, oauth.issued[0]!.apiKey];
    const seen = [
      h.logs.join("\n"),
      JSON.stringify(h.telegram.calls),
      monitor.commands().join("\n"),
      page.text,
      again.text,
      startPage.text,
      JSON.stringify(begun.body),
    ];
    for (const secret of secrets) for (const place of seen) expect(place).not.toContain(secret);
    expect(h.logs.join("\n")).not.toContain(BOT_TOKEN);
    // The code was in the address: no log line holds the callback's query; nor the cookie's nonce.
    expect(h.logs.join("\n")).not.toContain(new URL(back).searchParams.get("code")!);
    const nonce = /^bybit_oauth=([\w-]+)/.exec(browser.setCookies[0]!)![1]!;
    for (const place of [h.logs.join("\n"), monitor.commands().join("\n")]) expect(place).not.toContain(nonce);
  });

  it("exchanges no code for a forged, missing or spent state, and the real one still works", async () => {
    const { h, oauth, publicUrl } = await start();
    const alice = h.follower();
    const { browser, back: backUrl } = await rig.approve(alice);
    const back = new URL(backUrl);
    const forged = new URL(back);
    forged.searchParams.set("state", randomBytes(32).toString("base64url"));
    for (const address of [
      forged.toString(),
      `${publicUrl}${OAUTH_CALLBACK_PATH}?code=abc`,
      `${publicUrl}${OAUTH_CALLBACK_PATH}`,
    ]) {
      // The follower's own browser, cookie and all: the cookie is no state (and it stays for the real one).
      const page = await browser.open(address);
      expect(page.status).toBe(400);
      expect(page.text).toContain("This link was already used or has expired");
    }
    expect(oauth.tokenCalls).toBe(0);
    expect(await h.credentials.current(alice.user.id)).toBeNull();

    expect((await browser.open(back.toString())).text).toContain("Done");
    expect(await alice.reply()).toContain("✅ Connected with Bybit");
    expect(oauth.tokenCalls).toBe(1);
  });

  it("says so on the page and in the chat when the follower says no, or Bybit refuses the code", async () => {
    const { h, oauth } = await start();
    const alice = h.follower();
    const denied = (await approvedCallback(alice, "deny")).page;
    expect(denied.text).toContain("You did not approve the connection in Bybit");
    expect(await alice.reply()).toContain("You did not approve the connection in Bybit, so nothing was connected.");
    expect(oauth.tokenCalls).toBe(0);

    const bob = h.follower({ languageCode: "ru" });
    const { browser, back: backUrl } = await rig.approve(bob);
    const back = new URL(backUrl);
    back.searchParams.set("code", "not-a-code-bybit-gave");
    const refused = await browser.open(back.toString());
    expect(refused.status).toBe(502);
    expect(refused.text).toContain("Bybit не завершил подключение");
    expect(await bob.reply()).toContain("Bybit не принял подтверждение");
    expect(oauth.tokenCalls).toBe(1);
    expect(await h.credentials.current(bob.user.id)).toBeNull();
  });

  it("stores nothing when Bybit does not answer in time, and tells the chat", async () => {
    const { h, oauth } = await start({}, 300);
    oauth.mode = "hang";
    const alice = h.follower();
    const { page } = await approvedCallback(alice);
    expect(page.status).toBe(502);
    expect(page.text).toContain("Bybit did not complete the connection");
    expect(await alice.reply()).toContain("Bybit did not complete the connection just now, so nothing was stored.");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
  });

  it("refuses a key Bybit bound to IPs besides ours: on our side, delete it, and the operator hears why", async () => {
    const { h } = await start({ ips: [...EGRESS, "198.51.100.7"] });
    const alice = h.follower();
    const { page } = await approvedCallback(alice);
    expect(page.text).toContain("Your key was not connected");
    const said = await alice.reply();
    expect(said).toContain("❌ Bybit made a key for this service, but it does not fit our safety rules");
    expect(said).toContain("API Management</a> → Delete");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect(h.logs.some((line) => line.includes("ip-bound-extra") && line.includes("issued to the OAuth app"))).toBe(
      true,
    );
  });

  it("offers the button in /rotate too, and /panic's steps say how the app's access goes", async () => {
    const { h } = await start();
    const alice = h.follower();
    await approvedCallback(alice);
    await alice.reply();
    const buttons = await rig.choose(alice, "/rotate");
    expect(buttons[0]!.text).toBe("🔗 Connect with Bybit (one tap, nothing to copy)");
    alice.say("/cancel");
    await alice.reply();
    alice.say("/panic");
    expect(await alice.reply()).toContain("🧊 Frozen");
    expect(await alice.reply()).toContain("This key came from “Connect with Bybit”: deleting it removes");
  });

  it("shows nothing of itself without the client id or PUBLIC_URL", () => {
    const oauthSettings = {
      clientId: "a",
      clientSecret: "b".repeat(8),
      authorizeUrl: "https://x",
      apiRoot: "https://y",
    };
    expect(webFeatures({ publicUrl: null, oauth: oauthSettings, botToken: BOT_TOKEN })).toEqual([]);
    // With PUBLIC_URL alone, the Mini App alone.
    expect(webFeatures({ publicUrl: "https://keys.example", oauth: null, botToken: BOT_TOKEN })).toHaveLength(1);
    expect(webFeatures({ publicUrl: "https://keys.example", oauth: oauthSettings, botToken: BOT_TOKEN })).toHaveLength(
      2,
    );
  });

  it("sets a Secure cookie for an https:// PUBLIC_URL, on the OAuth paths under its own path", () => {
    expect(browserCookie("https://keys.example/bot", "n", 600)).toBe(
      "bybit_oauth=n; Path=/bot/oauth/bybit; Max-Age=600; HttpOnly; SameSite=Lax; Secure",
    );
  });
});
