import { afterEach, describe, expect, it } from "vitest";
import { OAUTH_CALLBACK_PATH } from "../src/bot/web/connect-with-bybit.js";
import { startHttpServer } from "../src/http/server.js";
import { createLogger } from "../src/infra/logger.js";
import { startOAuthRig, type OAuthRig } from "./support/oauth-rig.js";
import { useOwnRedis } from "./support/own-redis.js";

// Attacks on "Connect with Bybit": what a browser, a replayer or a crash can do to the callback.

const own = useOwnRedis();
let rig: OAuthRig | undefined;
afterEach(async () => {
  await own.redis.config("SET", "maxmemory", "0");
  await rig?.stop();
  rig = undefined;
});

async function start(options: Parameters<typeof startOAuthRig>[1] = {}): Promise<OAuthRig> {
  rig = await startOAuthRig({}, { redisTarget: { url: own.url }, ...options });
  return rig;
}

const SAFE_HEADERS = {
  "content-security-policy": expect.stringMatching(/^default-src 'none';.*frame-ancestors 'none'/),
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};
const headersOf = (headers: Headers) => Object.fromEntries(headers.entries());

describe("Connect with Bybit under attack", () => {
  it("answers HEAD, POST and unknown paths with 405/404 and the same safe headers, redeeming nothing", async () => {
    const rig = await start();
    const alice = rig.h.follower();
    const { browser, back } = await rig.approve(alice);
    for (const method of ["HEAD", "POST", "PUT"]) {
      const answer = await browser.open(back, { method });
      expect(answer.status).toBe(405);
      expect(headersOf(answer.headers)).toMatchObject({ ...SAFE_HEADERS, allow: "GET" });
    }
    const missing = await rig.open(`${rig.publicUrl}/oauth/bybit/other?state=x`);
    expect(missing.status).toBe(404);
    expect(headersOf(missing.headers)).toMatchObject(SAFE_HEADERS);
    // The state survived all of that: the follower's own visit still connects.
    expect((await browser.open(back)).text).toContain("Done");
    expect(await alice.reply()).toContain("✅ Connected with Bybit");
  });

  it("keeps the safe headers on a 500", async () => {
    const server = await startHttpServer({
      port: 0,
      logger: createLogger({ level: "silent", neverLog: [] }),
      routes: [{ method: "GET", path: "/boom", handle: () => Promise.reject(new Error("boom")) }],
    });
    try {
      const answer = await fetch(`http://127.0.0.1:${server.port}/boom`);
      expect(answer.status).toBe(500);
      expect(headersOf(answer.headers)).toMatchObject(SAFE_HEADERS);
    } finally {
      await server.close();
    }
  });

  it("shows nothing of the query on the page: HTML, repeated and unicode parameters", async () => {
    const rig = await start();
    const alice = rig.h.follower();
    const { browser, authorizeUrl } = await rig.authorize(alice);
    const state = new URL(authorizeUrl).searchParams.get("state")!;
    const evil = "<script>alert(1)</script>\u202e\u0000😀";
    const address =
      `${rig.publicUrl}${OAUTH_CALLBACK_PATH}?state=${state}&state=forged&error=access_denied` +
      `&error_description=${encodeURIComponent(evil)}&code=${encodeURIComponent(evil)}`;
    const page = await browser.open(address);
    expect(page.status).toBe(200);
    expect(page.text).toContain("You did not approve the connection in Bybit");
    expect(page.text).not.toContain("<script>alert");
    expect(page.text).not.toContain("😀");
    expect(await alice.reply()).toContain("You did not approve");
    expect(rig.oauth.tokenCalls).toBe(0);
  });

  it("exchanges no code after a /panic since the button was shown, and the chat says why", async () => {
    const rig = await start();
    const alice = rig.h.follower();
    const { browser, authorizeUrl } = await rig.authorize(alice);
    alice.say("/panic");
    await alice.reply();
    const page = await browser.open(await rig.oauth.decide(authorizeUrl, "approve"));
    expect(page.text).toContain("Your key was not connected");
    expect(await alice.reply()).toContain("You sent /panic after tapping “Connect with Bybit”, so I connected nothing");
    expect(rig.oauth.tokenCalls).toBe(0);
    expect(await rig.h.credentials.current(alice.user.id)).toBeNull();
  });

  it("stores nothing for a follower who sent /forget since the button was shown", async () => {
    const rig = await start();
    const alice = rig.h.follower();
    const { browser, authorizeUrl } = await rig.authorize(alice);
    alice.say("/forget");
    while (!(await alice.reply()).includes("Delete your key")) continue;
    const confirm = rig.h.telegram.lastBotMessage(alice.chat.id);
    rig.h.telegram.pressButton(alice.user, confirm, `forget:${alice.user.id}`);
    expect(await alice.reply()).toContain("Done: I deleted your key");
    const page = await browser.open(await rig.oauth.decide(authorizeUrl, "approve"));
    expect(page.status).toBe(400);
    expect(page.text).toContain("This link was already used or has expired");
    expect(rig.oauth.tokenCalls).toBe(0);
    expect(await rig.h.credentials.current(alice.user.id)).toBeNull();
  });

  it("two buttons approved and opened at once: one key stored, one Connected, the older link void", async () => {
    const rig = await start();
    const alice = rig.h.follower();
    // Two taps in two flows (two devices, each with its cookie), both begun before either is approved.
    const first = await rig.authorize(alice);
    alice.say("/cancel");
    await alice.reply();
    const second = await rig.authorize(alice);
    const backs = await Promise.all([first, second].map((tap) => rig.oauth.decide(tap.authorizeUrl, "approve")));
    const pages = await Promise.all([first, second].map((tap, i) => tap.browser.open(backs[i]!)));
    expect(pages[0]!.text).toContain("This link was already used or has expired");
    expect(pages[1]!.text).toContain("Done");
    expect(await alice.reply()).toContain("✅ Connected with Bybit");
    expect(rig.oauth.tokenCalls).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(alice.transcript().filter((text) => text.includes("Connected with Bybit"))).toHaveLength(1);
    expect(rig.oauth.issued).toHaveLength(1);
  });

  it("Redis at its memory limit at the callback: a page that says what to do, and no key made in Bybit", async () => {
    const rig = await start();
    const alice = rig.h.follower();
    const { browser, back } = await rig.approve(alice);
    await own.redis.config("SET", "maxmemory", "1");
    const page = await browser.open(back);
    await own.redis.config("SET", "maxmemory", "0");
    expect(page.status).toBe(503);
    expect(headersOf(page.headers)).toMatchObject(SAFE_HEADERS);
    expect(page.text).toContain("Something went wrong on our side, so nothing was done");
    expect(page.text).toContain("send /connect to try again");
    expect(rig.oauth.tokenCalls).toBe(0);
    expect(await rig.h.credentials.current(alice.user.id)).toBeNull();
  });

  it("a key stored while the chat could not be told is told later: nobody is left without the news", async () => {
    const rig = await start({ recoveryBeatMs: 100 });
    const alice = rig.h.follower();
    const { browser, back } = await rig.approve(alice);
    rig.h.telegram.failNext("sendMessage", 403);
    expect((await browser.open(back)).text).toContain("Done");
    expect(await alice.reply()).toContain("It did get connected");
    expect(await rig.h.credentials.current(alice.user.id)).toMatchObject({ status: "active", origin: "oauth" });
  });
});
