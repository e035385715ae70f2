import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "puppeteer-core";
import { launchChromium } from "./support/chromium.js";
import { initDataOf } from "./support/mini-app.js";
import { startOAuthRig, type OAuthRig } from "./support/oauth-rig.js";

// Real Chromium opens the start page as Telegram opens a web_app button: the signed initData in the #hash.
let browser: Browser;
let rig: OAuthRig;
beforeAll(async () => {
  [browser, rig] = await Promise.all([launchChromium(), startOAuthRig()]);
});
afterAll(async () => {
  await browser.close();
  await rig.stop();
});

describe("Connect with Bybit's start page in Chromium", () => {
  it("goes to Bybit's page with the cookie set, and the approval comes back to Done in the same browser", async () => {
    const alice = rig.h.follower();
    const [button] = await rig.choose(alice);
    const launch = new URLSearchParams({ tgWebAppData: initDataOf(alice), tgWebAppVersion: "8.0" });
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      const loaded: string[] = [];
      page.on("request", (request) => void loaded.push(request.url().split("#")[0]!));
      await page.goto(`${button!.web_app!.url}#${launch}`);
      // The page's script begins, then assigns Bybit's address.
      await page.waitForFunction(`location.href.startsWith(${JSON.stringify(rig.oauth.authorizeUrl)})`);
      expect(await page.content()).toContain("Authorize the app copy-app?");
      const ours = async () => (await context.cookies()).filter((cookie) => cookie.name === "bybit_oauth");
      const [cookie] = await ours();
      expect(cookie).toMatchObject({ domain: "127.0.0.1", path: "/oauth/bybit", httpOnly: true, sameSite: "Lax" });
      // Only our origin and Bybit's were asked for anything.
      const origins = new Set(loaded.map((url) => new URL(url).origin));
      expect([...origins].sort()).toEqual([rig.publicUrl, rig.oauth.url].sort());

      // Approving on Bybit's page: back to our callback, with the cookie, in this browser.
      const approve = new URL(page.url());
      approve.searchParams.set("decision", "approve");
      await page.goto(approve.toString());
      expect(await page.$eval("p", (node) => node.textContent)).toContain("Done: your Bybit account is connected");
      expect(await alice.reply()).toContain("✅ Connected with Bybit");
      expect(await ours()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
