// The Mini App in real Chromium (Debian's, headless) against the real src/main.ts, its own redis-server and
// the protocol fakes. Prints:
//   weight: bytes on the connect page's first load (HTML, script, style: all it loads), as sent over the
//     wire (headers included) and as bodies; and with the page's first API answer (its words) added;
//   tap to result: from the Connect tap to the outcome on the page (the key checked with the fake Bybit,
//     sealed, stored, the chat told), timed inside the page; median and p99 over N followers, one by one.
// `--latency 50` makes the fake Bybit answer each request after that many ms (the fakes have no round trip).
// Usage: npm run bench:mini-app [-- --followers 40 --latency 0]
import { parseArgs } from "node:util";
import { sign } from "@telegram-apps/init-data-node";
import { freePort } from "../src/infra/local-redis.js";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { launchChromium } from "../test/support/chromium.js";
import { median, percentile, round1, startStage, TOKEN } from "./support.js";

const { values } = parseArgs({
  options: { followers: { type: "string", default: "40" }, latency: { type: "string", default: "0" } },
});
const FOLLOWERS = Number(values.followers);
const LATENCY_MS = Number(values.latency);

const stage = await startStage();
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const browser = await launchChromium();
try {
  await stage.startBot("src/main.ts", { PORT: String(port), PUBLIC_URL: publicUrl, KEY_PAIR_POOL_SIZE: "0" });
  if (LATENCY_MS > 0) stage.bybit.beforeAnswer = () => new Promise((resolve) => setTimeout(resolve, LATENCY_MS));

  /** The connect page's address for `user`, as Telegram opens it from /connect's button. */
  async function openedFromChat(user: FakeUser): Promise<string> {
    stage.telegram.sendText(user, "/connect");
    const choice = await stage.telegram.nextBotMessage(user.id, 20_000);
    const rows = (choice.payload.reply_markup as { inline_keyboard: { web_app?: { url: string } }[][] })
      .inline_keyboard;
    const button = new URL(rows.flat().find((entry) => entry.web_app)!.web_app!.url);
    const initData = sign({ user: { id: user.id, first_name: user.first_name } }, TOKEN, new Date());
    return `${button.href}#${new URLSearchParams({ tgWebAppData: initData, tgWebAppVersion: "8.0" })}`;
  }

  const tapToResult: number[] = [];
  let weight = { wire: 0, bodies: 0, requests: 0, withWords: 0 };
  for (let index = 0; index < FOLLOWERS; index += 1) {
    const user: FakeUser = { id: 5_000_000 + index, is_bot: false, first_name: `M${index}` };
    const credentials = canaryCredentials();
    stage.bybit.addKey(credentials);
    const url = await openedFromChat(user);
    // A fresh browser context each time: nothing cached (the pages say no-store anyway).
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    const loads: { url: string; wire: number; body: number }[] = [];
    const urls = new Map<string, string>();
    cdp.on("Network.requestWillBeSent", (event) => void urls.set(event.requestId, event.request.url));
    cdp.on("Network.dataReceived", (event) => {
      const load = loads.find((entry) => entry.url === event.requestId);
      if (load) load.body += event.dataLength;
      else loads.push({ url: event.requestId, wire: 0, body: event.dataLength });
    });
    cdp.on("Network.loadingFinished", (event) => {
      const load = loads.find((entry) => entry.url === event.requestId);
      if (load) load.wire = event.encodedDataLength;
      else loads.push({ url: event.requestId, wire: event.encodedDataLength, body: 0 });
    });
    await page.goto(url, { waitUntil: "networkidle0" });
    await page.waitForSelector("#connect-secret");
    if (index === 0) {
      const assets = loads.filter((load) => !urls.get(load.url)!.includes("/api/"));
      weight = {
        wire: assets.reduce((sum, load) => sum + load.wire, 0),
        bodies: assets.reduce((sum, load) => sum + load.body, 0),
        requests: assets.length,
        withWords: loads.reduce((sum, load) => sum + load.wire, 0),
      };
    }
    await page.type("#api-key", credentials.apiKey);
    await page.type("#api-secret", credentials.apiSecret);
    // In the page (as a string: this file is not compiled with the DOM's types): the tap and the outcome's arrival.
    await page.evaluate(`{
      const result = document.getElementById("result");
      new MutationObserver(() => {
        if (result.dataset.outcome && window.resultAt === undefined) window.resultAt = performance.now();
      }).observe(result, { attributes: true });
      document.getElementById("connect-secret").addEventListener("click", () => (window.tapAt = performance.now()), {
        capture: true,
      });
    }`);
    await page.click("#connect-secret");
    await page.waitForSelector("#result[data-outcome]");
    const [tapAt, resultAt, outcome] = (await page.evaluate(
      `[window.tapAt, window.resultAt, document.getElementById("result").dataset.outcome]`,
    )) as [number, number, string];
    if (outcome !== "connected") throw new Error(`follower ${index} was not connected: ${outcome}`);
    tapToResult.push(resultAt - tapAt);
    if ((index + 1) % 10 === 0) process.stderr.write(`(${index + 1} of ${FOLLOWERS} connected)\n`);
    await context.close();
  }
  tapToResult.sort((a, b) => a - b);
  const latency = LATENCY_MS > 0 ? `, Bybit answering after ${LATENCY_MS} ms` : "";
  process.stdout.write(
    [
      `Mini App, real Chromium against src/main.ts and the fakes (${FOLLOWERS} followers, one by one${latency})`,
      `  weight of the connect page's first load: ${weight.wire} bytes over the wire (${weight.bodies} bytes of` +
        ` bodies) in ${weight.requests} requests; ${weight.withWords} bytes with its first API answer`,
      `  Connect tap to the result on the page: median ${round1(median(tapToResult))} ms,` +
        ` p99 ${round1(percentile(tapToResult, 99))} ms, max ${round1(tapToResult.at(-1)!)} ms`,
      "",
    ].join("\n"),
  );
} finally {
  await browser.close();
  await stage.stop();
}
