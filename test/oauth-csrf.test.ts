import { afterEach, describe, expect, inject, it } from "vitest";
import { BOT_TOKEN } from "./support/harness.js";
import { initDataOf } from "./support/mini-app.js";
import { startOAuthRig, type OAuthRig } from "./support/oauth-rig.js";
import { RedisMonitor } from "./support/redis-monitor.js";

// Login CSRF on "Connect with Bybit": an approval must connect the key of the person who approves to that same
// person's chat, never to whoever set the approval off.

let rig: OAuthRig;
afterEach(() => rig.stop());

const OTHER_BROWSER = "Nothing was connected: this approval did not come back to the app where";

describe("Connect with Bybit against login CSRF", () => {
  it("an attacker's Bybit address approved by a victim: nothing connected or exchanged, the state spent", async () => {
    const monitor = await RedisMonitor.start(inject("redisUrl"));
    rig = await startOAuthRig();
    const { h, oauth } = rig;
    const mallory = h.follower();
    const victim = h.follower();
    // Mallory taps their own button (their initData, their cookie) and passes Bybit's address on.
    const { browser: mallorys, authorizeUrl } = await rig.authorize(mallory);
    // The victim opens it in their own browser and approves.
    const victims = rig.browser();
    const back = await oauth.decide(authorizeUrl, "approve");
    const page = await victims.open(back);
    expect(page.status).toBe(403);
    expect(page.text).toContain(OTHER_BROWSER);
    expect(page.text).not.toContain("Done");
    expect(oauth.tokenCalls).toBe(0);
    expect(oauth.issued).toHaveLength(0);
    expect(await h.credentials.current(mallory.user.id)).toBeNull();
    expect(await h.credentials.current(victim.user.id)).toBeNull();
    // The ticket's owner hears of it in the chat.
    expect(await mallory.reply()).toContain("came back in a different browser");
    // The state is spent: the victim's address, replayed in Mallory's browser with Mallory's cookie, does nothing.
    const replayed = await mallorys.open(back);
    expect(replayed.status).toBe(400);
    expect(replayed.text).toContain("This link was already used or has expired");
    expect(oauth.tokenCalls).toBe(0);

    await monitor.caughtUp(h.redis);
    monitor.stop();
    const code = new URL(back).searchParams.get("code")!;
    const places = [h.logs.join("\n"), JSON.stringify(h.telegram.calls), monitor.commands().join("\n"), page.text];
    for (const place of places) for (const secret of [code, rig.clientSecret]) expect(place).not.toContain(secret);
  });

  it("the attacker's start link opened with the victim's initData: refused, no cookie, ticket spent", async () => {
    rig = await startOAuthRig();
    const { h, oauth } = rig;
    const mallory = h.follower();
    const victim = h.follower({ languageCode: "ru" });
    const [button] = await rig.choose(mallory);
    const start = button!.web_app!.url;
    const victims = rig.browser();
    const begun = await victims.begin(start, initDataOf(victim));
    expect(begun.status).toBe(403);
    expect(begun.body).toMatchObject({ refused: "not-yours" });
    expect(String(begun.body.html)).toContain("Эта кнопка из чужого чата");
    expect(begun.body.authorizeUrl).toBeUndefined();
    expect(victims.setCookies).toEqual([]);
    // Mallory cannot use it either now: it was shown to someone else.
    const again = await rig.browser().begin(start, initDataOf(mallory));
    expect(again.status).toBe(410);
    expect(String(again.body.html)).toContain("This link was already used or has expired");
    expect(oauth.tokenCalls).toBe(0);
  });

  it("refuses forged, stale and missing initData, setting no cookie; the follower's own still begins", async () => {
    rig = await startOAuthRig();
    const alice = rig.h.follower();
    const [button] = await rig.choose(alice);
    const start = button!.web_app!.url;
    const tries = {
      forged: initDataOf(alice, { token: "123456789:AAnot-the-bot-token-0123456789abcd" }),
      stale: initDataOf(alice, { ageSeconds: 11 * 60 }),
      missing: "",
    };
    for (const [why, initData] of Object.entries(tries)) {
      const browser = rig.browser();
      const begun = await browser.begin(start, initData);
      expect(begun.status).toBe(401);
      expect(begun.body.refused).toBe(why);
      expect(browser.setCookies).toEqual([]);
    }
    // A tampered user id under Telegram's signature is a forgery too.
    const tampered = new URLSearchParams(initDataOf(alice));
    tampered.set("user", JSON.stringify({ id: alice.user.id + 1, first_name: "x" }));
    expect((await rig.browser().begin(start, tampered.toString())).status).toBe(401);

    const browser = rig.browser();
    const begun = await browser.begin(start, initDataOf(alice));
    expect(begun.status).toBe(200);
    expect((await browser.open(await rig.oauth.decide(String(begun.body.authorizeUrl), "approve"))).text).toContain(
      "Done",
    );
    expect(await alice.reply()).toContain("✅ Connected with Bybit");
    expect(rig.h.logs.join("\n")).not.toContain(BOT_TOKEN);
  });

  it("/cancel ends the approval under way: begun or not, nothing is exchanged after it", async () => {
    rig = await startOAuthRig();
    const { h, oauth } = rig;
    const alice = h.follower();
    const { browser, authorizeUrl, start } = await rig.authorize(alice);
    alice.say("/cancel");
    expect(await alice.reply()).toContain("Cancelled");
    const page = await browser.open(await oauth.decide(authorizeUrl, "approve"));
    expect(page.status).toBe(400);
    expect(page.text).toContain("This link was already used or has expired");
    expect((await rig.browser().begin(start, initDataOf(alice))).status).toBe(410);
    expect(oauth.tokenCalls).toBe(0);
    expect(await h.credentials.current(alice.user.id)).toBeNull();

    // The flow's own Cancel button too, before the start page was opened.
    const [button, , , cancel] = await rig.choose(alice);
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), cancel!.callback_data!);
    await alice.reply();
    expect((await rig.browser().begin(button!.web_app!.url, initDataOf(alice))).status).toBe(410);
  });

  it("a browser's cookie from an older tap does not finish a newer approval", async () => {
    rig = await startOAuthRig();
    const alice = rig.h.follower();
    // The start page opened twice for one ticket (two devices): the later one is the one that counts.
    const [button] = await rig.choose(alice);
    const phone = rig.browser();
    const laptop = rig.browser();
    const first = await phone.begin(button!.web_app!.url, initDataOf(alice));
    await laptop.begin(button!.web_app!.url, initDataOf(alice));
    const page = await phone.open(await rig.oauth.decide(String(first.body.authorizeUrl), "approve"));
    expect(page.text).toContain(OTHER_BROWSER);
    expect(rig.oauth.tokenCalls).toBe(0);
  });
});
