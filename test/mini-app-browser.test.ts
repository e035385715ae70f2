import type { Browser, BrowserContext, Page } from "puppeteer-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { canaryCredentials, randomAlphanumeric } from "./support/canaries.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";
import {
  initDataOf,
  launchChromium,
  launchUrl,
  miniAppFeature,
  outputFile,
  webAppButtonUrl,
} from "./support/mini-app.js";
import { RedisMonitor } from "./support/redis-monitor.js";

// Real Chromium opens the pages as Telegram opens a Mini App: the signed initData in the URL's #hash.
let browser: Browser;
let h: Harness;
let context: BrowserContext;
let page: Page;
/** Every URL the page asked for: none may be another origin's. */
let requested: string[];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser.close());
beforeEach(async () => {
  h = await startHarness({ web: [miniAppFeature], telegramLimits: ROOMY_CHATS });
  // A context of its own per test: closing it closes its connections too, so the harness's server stops at once.
  context = await browser.createBrowserContext();
  page = await context.newPage();
  requested = [];
  // As it goes over the wire: a #hash never leaves the browser.
  page.on("request", (request) => void requested.push(request.url().split("#")[0]!));
});
afterEach(async () => {
  await context.close();
  await h.stop();
});

/** /connect in the chat, then the page its "🔐 Type it in a secure page" button opens. */
async function openConnectPage(follower: Follower): Promise<void> {
  follower.say("/connect");
  await follower.reply();
  await page.goto(launchUrl(h, webAppButtonUrl(h, follower), initDataOf(follower)));
  await page.waitForSelector("#have-secret");
}

/** A phone's screen, as the pages are mostly seen. */
const PHONE = { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const outcome = async () => {
  await page.waitForSelector("#result[data-outcome]");
  return page.$eval("#result", (node) => ({ outcome: node.getAttribute("data-outcome"), text: node.textContent }));
};

describe("the Mini App in Chromium", () => {
  it("connects a key and secret typed into the page; the page and the chat say so; the secret is nowhere", async () => {
    const monitor = await RedisMonitor.start(inject("redisUrl"));
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "from-the-page" });
    await openConnectPage(alice);

    await page.type("#api-key", creds.apiKey);
    await page.type("#api-secret", creds.apiSecret);
    await page.click("#connect-secret");
    const shown = await outcome();
    expect(shown.outcome).toBe("connected");
    expect(shown.text).toContain("✅ Connected: key “from-the-page”");
    expect(await alice.reply()).toContain("✅ Connected: key “from-the-page”");
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(creds);
    // The secret field is a vault's: no autocomplete, and emptied once connected.
    expect(
      await page.$eval("#api-secret", (node) => [
        node.getAttribute("autocomplete"),
        (node as unknown as { value: string }).value,
      ]),
    ).toEqual(["off", ""]);

    await monitor.caughtUp(h.redis);
    monitor.stop();
    const telegramCalls = JSON.stringify(h.telegram.calls);
    for (const [where, seen] of [
      ["Telegram", telegramCalls],
      ["Redis", monitor.commands().join("\n")],
      ["logs", h.logs.join("\n")],
    ]) {
      expect(seen, where).not.toContain(creds.apiSecret);
    }
    expect(telegramCalls).not.toContain(creds.apiKey);
    expect(
      requested.every((url) => url.startsWith(`${h.web!.url}/app/`)),
      requested.join("\n"),
    ).toBe(true);
    expect(requested.some((url) => url.includes(creds.apiSecret) || url.includes("tgWebAppData="))).toBe(false);
  });

  it("makes the key pair, shows the public key with a Copy button, and connects the API key typed", async () => {
    const bob = h.follower();
    await openConnectPage(bob);
    await page.click("#make-pair");
    await page.waitForSelector("#copy-public-key");
    const publicKeyPem = await page.$eval("#pair pre", (node) => node.textContent!);
    expect(publicKeyPem).toContain("BEGIN PUBLIC KEY");
    // What Bybit's "Self-generated API Keys" dialog does with it.
    const apiKey = `RK${randomAlphanumeric(16)}`;
    h.bybit.addKey({ apiKey, rsaPublicKey: publicKeyPem, note: "made-for-me" });
    await page.type("#rsa-api-key", apiKey);
    await page.click("#connect-rsa");
    expect((await outcome()).outcome).toBe("connected");
    expect(await bob.reply()).toContain("✅ Connected: key “made-for-me”");
    expect((await h.credentials.current(bob.user.id))?.keyType).toBe("rsa");
  });

  it("refuses forged and stale initData with a clear page, and asks Bybit nothing", async () => {
    const mallory = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    mallory.say("/connect");
    await mallory.reply();
    const button = webAppButtonUrl(h, mallory);
    const before = h.bybit.requests.length;

    await page.goto(
      launchUrl(h, button, initDataOf(mallory, { token: "123456789:AAforged-token-0123456789abcdefgh" })),
    );
    await page.waitForSelector("#refusal");
    expect(await page.$eval("#refusal", (node) => node.textContent)).toContain("I can’t tell who opened this page");
    // Straight at the API, as a script would: refused before anything is read as a key.
    const forged = await page.evaluate(
      async (body) =>
        (
          await fetch("/app/api/connect", {
            method: "POST",
            headers: {
              "Content-Type": "application/json",
              Authorization: "tma user=%7B%22id%22%3A1%7D&auth_date=1&hash=00",
            },
            body,
          })
        ).status,
      JSON.stringify({ ticket: new URL(button).searchParams.get("t"), ...creds }),
    );
    expect(forged).toBe(401);

    // A new load (a change of #hash alone would not load the page again).
    await page.goto("about:blank");
    await page.goto(launchUrl(h, button, initDataOf(mallory, { ageSeconds: 11 * 60 })));
    await page.waitForSelector("#refusal");
    expect(await page.$eval("#refusal", (node) => node.textContent)).toContain("more than 10 minutes ago");
    expect(h.bybit.requests.length).toBe(before);
  });

  it("on a phone, in Russian: a key's hostile name stays text, and a failed answer says what to do", async () => {
    const olga = h.follower({ languageCode: "ru" });
    const creds = canaryCredentials();
    const hostile = `<img src=x onerror="window.pwned=1">`;
    h.bybit.addKey({ ...creds, readOnly: true, note: hostile });
    await page.setViewport(PHONE);
    await openConnectPage(olga);
    await page.screenshot({ path: outputFile("mini-app-connect.png"), fullPage: true });
    await page.type("#api-key", creds.apiKey);
    await page.type("#api-secret", creds.apiSecret);
    await page.click("#connect-secret");
    const refused = await outcome();
    expect(refused.outcome).toBe("refused");
    expect(refused.text).toContain(hostile);
    expect(await page.$$("#app img")).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(requested.some((url) => url.endsWith("/x"))).toBe(false);

    // A proxy's error page, then no network at all: words in her language, never an empty card.
    await page.setRequestInterception(true);
    let answer: "gateway" | "offline" = "gateway";
    page.on("request", (request) => {
      if (!request.url().endsWith("/api/connect")) return void request.continue();
      if (answer === "offline") return void request.abort("internetdisconnected");
      void request.respond({ status: 502, contentType: "text/html", body: "<html>502 Bad Gateway</html>" });
    });
    const shownAfter = async () => {
      await page.$eval("#result", (node) => node.removeAttribute("data-outcome"));
      await page.click("#connect-secret");
      return (await outcome()).text;
    };
    expect(await shownAfter()).toContain("У нас что-то пошло не так");
    answer = "offline";
    expect(await shownAfter()).toContain("Не удаётся связаться с сервером");
  });

  it("draws the key's life in the follower's language, and /panic's button freezes it", async () => {
    const olga = h.follower({ languageCode: "ru" });
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "olga-key" });
    olga.say("/connect");
    await olga.reply();
    olga.say(`${creds.apiKey} ${creds.apiSecret}`);
    await olga.reply();
    expect(await olga.reply()).toContain("✅");
    // Some weeks on: today is drawn between the key's birth and its rotation day.
    h.now += 30 * 86_400_000;
    olga.say("/status");
    await olga.reply();
    await page.setViewport(PHONE);
    await page.goto(launchUrl(h, webAppButtonUrl(h, olga), initDataOf(olga)));
    await page.waitForSelector("svg#timeline");
    const picture = await page.$eval("svg#timeline", (node) => node.textContent);
    expect(picture).toContain("День 80: замена");
    expect(picture).toMatch(/Сегодня · 3[01]/);
    expect(await page.$eval("h1", (node) => node.textContent)).toBe("Жизнь вашего ключа");
    const screenshot = outputFile("mini-app-status.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    process.stdout.write(`status picture: ${screenshot}\n`);

    await page.goto(launchUrl(h, `https://keys.example/app/panic`, initDataOf(olga)));
    await page.click("#panic");
    await page.waitForSelector("#said .card");
    expect(await page.$eval("#said", (node) => node.textContent)).toContain("🧊");
    await page.screenshot({ path: outputFile("mini-app-panic.png"), fullPage: true });
    expect(await h.credentials.current(olga.user.id)).toBeNull();
    const chat = olga.transcript().join("\n");
    expect(chat).toContain("🧊");
    expect(chat).not.toContain(creds.apiSecret);
  });
});
