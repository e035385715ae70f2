import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { connectWithBybit, OAUTH_CALLBACK_PATH } from "../src/bot/web/connect-with-bybit.js";
import { webFeatures } from "../src/bot/web/configured.js";
import { freePort } from "../src/infra/local-redis.js";
import { FakeBybitOAuth, type FakeOAuthApp } from "./support/fake-bybit-oauth.js";
import { BOT_TOKEN, ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";
import { RedisMonitor } from "./support/redis-monitor.js";

const EGRESS = ["203.0.113.10"];
const CLIENT_SECRET = `oauth-client-secret-canary-${randomBytes(8).toString("hex")}`;

let h: Harness;
let oauth: FakeBybitOAuth;
let publicUrl: string;
let running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running) await stop();
  running = [];
});

/** The bot with Connect with Bybit on: PUBLIC_URL on a port chosen first, Bybit's OAuth fake issuing into its Bybit. */
async function start(app: Partial<FakeOAuthApp> = {}, bybitTimeoutMs?: number): Promise<void> {
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  oauth = new FakeBybitOAuth({
    clientId: "copy-app",
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${publicUrl}${OAUTH_CALLBACK_PATH}`],
    ips: EGRESS,
    ...app,
  });
  await oauth.start();
  running.push(() => oauth.stop());
  const settings = {
    clientId: "copy-app",
    clientSecret: CLIENT_SECRET,
    authorizeUrl: oauth.authorizeUrl,
    apiRoot: oauth.url,
  };
  h = await startHarness({
    egressIps: EGRESS,
    telegramLimits: ROOMY_CHATS,
    web: [connectWithBybit({ oauth: settings, publicUrl })],
    webPort: port,
    ...(bybitTimeoutMs ? { bybitTimeoutMs } : {}),
  });
  running.unshift(() => h.stop());
  oauth.bybit = h.bybit;
}

type Button = { text: string; url?: string; callback_data?: string };

/** /connect (or /rotate), and the buttons of the choice step. */
async function choose(follower: Follower, command = "/connect"): Promise<Button[]> {
  follower.say(command);
  await follower.reply();
  const choice = h.telegram.lastBotMessage(follower.chat.id);
  return (choice.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard.flat();
}

async function approvedCallback(follower: Follower): Promise<string> {
  const [button] = await choose(follower);
  return oauth.decide(button!.url!, "approve");
}

const open = async (url: string) => {
  const response = await fetch(url, { redirect: "manual" });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

describe("Connect with Bybit", () => {
  it("opens Bybit's page with a one-time state and our redirect; approving connects Bybit's key, once", async () => {
    const monitor = await RedisMonitor.start(inject("redisUrl"));
    await start();
    const alice = h.follower();
    const buttons = await choose(alice);
    expect(buttons.map((button) => button.text)).toEqual([
      "🔗 Connect with Bybit (one tap, nothing to copy)",
      "Make the key for me (nothing secret to copy)",
      "I have a key and secret",
      "Cancel",
    ]);
    const url = new URL(buttons[0]!.url!);
    expect(`${url.origin}${url.pathname}`).toBe(oauth.authorizeUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: "copy-app",
      response_type: "code",
      redirect_uri: `${publicUrl}${OAUTH_CALLBACK_PATH}`,
      scope: "openapi",
      state: expect.stringMatching(/^[\w-]{43}$/),
    });

    const back = await oauth.decide(url.toString(), "approve");
    expect(back.startsWith(`${publicUrl}${OAUTH_CALLBACK_PATH}/?response_type=code&code=`)).toBe(true);
    const page = await open(back);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Done: your Bybit account is connected. Go back to Telegram.");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none';/);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");

    const said = await alice.reply();
    expect(said).toContain("✅ Connected with Bybit: key “copy-app-oauth”");
    expect(said).toContain("Permissions: Contracts: Orders, Positions");
    expect(said).toContain("Expiry: none in Bybit");
    expect(said).toContain("I’ll remind you to replace it on");
    const record = await h.credentials.current(alice.user.id);
    expect(record).toMatchObject({ status: "active", origin: "oauth", expiresAt: null });

    // The same address again (a reload, a replay): the state is spent, and no code goes to Bybit twice.
    const again = await open(back);
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
    const secrets = [CLIENT_SECRET, oauth.issued[0]!.apiSecret, oauth.issued[0]!.apiKey];
    const seen = [
      h.logs.join("\n"),
      JSON.stringify(h.telegram.calls),
      monitor.commands().join("\n"),
      page.text,
      again.text,
    ];
    for (const secret of secrets) for (const place of seen) expect(place).not.toContain(secret);
    expect(h.logs.join("\n")).not.toContain(BOT_TOKEN);
    // The code was in the address: no log line holds the callback's query.
    expect(h.logs.join("\n")).not.toContain(new URL(back).searchParams.get("code")!);
  });

  it("exchanges no code for a forged, missing or spent state, and the real one still works", async () => {
    await start();
    const alice = h.follower();
    const back = new URL(await approvedCallback(alice));
    const forged = new URL(back);
    forged.searchParams.set("state", randomBytes(32).toString("base64url"));
    for (const address of [
      forged.toString(),
      `${publicUrl}${OAUTH_CALLBACK_PATH}?code=abc`,
      `${publicUrl}${OAUTH_CALLBACK_PATH}`,
    ]) {
      const page = await open(address);
      expect(page.status).toBe(400);
      expect(page.text).toContain("This link was already used or has expired");
    }
    expect(oauth.tokenCalls).toBe(0);
    expect(await h.credentials.current(alice.user.id)).toBeNull();

    expect((await open(back.toString())).text).toContain("Done");
    expect(await alice.reply()).toContain("✅ Connected with Bybit");
    expect(oauth.tokenCalls).toBe(1);
  });

  it("says so on the page and in the chat when the follower says no, or Bybit refuses the code", async () => {
    await start();
    const alice = h.follower();
    const [button] = await choose(alice);
    const denied = await open(await oauth.decide(button!.url!, "deny"));
    expect(denied.text).toContain("You did not approve the connection in Bybit");
    expect(await alice.reply()).toContain("You did not approve the connection in Bybit, so nothing was connected.");
    expect(oauth.tokenCalls).toBe(0);

    const bob = h.follower({ languageCode: "ru" });
    const back = new URL(await approvedCallback(bob));
    back.searchParams.set("code", "not-a-code-bybit-gave");
    const refused = await open(back.toString());
    expect(refused.status).toBe(502);
    expect(refused.text).toContain("Bybit не завершил подключение");
    expect(await bob.reply()).toContain("Bybit не принял подтверждение");
    expect(oauth.tokenCalls).toBe(1);
    expect(await h.credentials.current(bob.user.id)).toBeNull();
  });

  it("stores nothing when Bybit does not answer in time, and tells the chat", async () => {
    await start({}, 300);
    oauth.mode = "hang";
    const alice = h.follower();
    const page = await open(await approvedCallback(alice));
    expect(page.status).toBe(502);
    expect(page.text).toContain("Bybit did not complete the connection");
    expect(await alice.reply()).toContain("Bybit did not complete the connection just now, so nothing was stored.");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
  });

  it("refuses a key Bybit bound to IPs besides ours: on our side, delete it, and the operator hears why", async () => {
    await start({ ips: [...EGRESS, "198.51.100.7"] });
    const alice = h.follower();
    const page = await open(await approvedCallback(alice));
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
    await start();
    const alice = h.follower();
    await open(await approvedCallback(alice));
    await alice.reply();
    const buttons = await choose(alice, "/rotate");
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
});
