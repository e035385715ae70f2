import { randomBytes } from "node:crypto";
import { connectWithBybit, OAUTH_CALLBACK_PATH } from "../../src/bot/web/connect-with-bybit.js";
import { BEGIN_PATH } from "../../src/bot/web/oauth-start.js";
import { freePort } from "../../src/infra/local-redis.js";
import { FakeBybitOAuth, type FakeOAuthApp } from "./fake-bybit-oauth.js";
import { BOT_TOKEN, ROOMY_CHATS, startHarness, type Follower, type Harness, type HarnessOptions } from "./harness.js";
import { initDataOf } from "./mini-app.js";

export const EGRESS = ["203.0.113.10"];

export type Button = { text: string; url?: string; callback_data?: string; web_app?: { url: string } };

type Page = { status: number; headers: Headers; text: string };

/**
 * One browser (a Telegram webview, a phone's browser): the cookies our server set in it, carried by hand to
 * our origin only, as a browser would (the path is checked by the tests that care).
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie our server sent this browser, as sent. */
  readonly setCookies: string[] = [];

  constructor(private readonly origin: string) {}

  async open(url: string, init: RequestInit = {}): Promise<Page> {
    const ours = new URL(url).origin === this.origin;
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const headers = new Headers(init.headers);
    if (ours && cookie) headers.set("cookie", cookie);
    const response = await fetch(url, { redirect: "manual", ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const [name = "", value = ""] = pair.split("=", 2);
      if (value && !attributes.includes("Max-Age=0")) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** What the start page's script does: POST the button's ticket with the initData Telegram signed. */
  async begin(startUrl: string, initData: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const ticket = new URL(startUrl).searchParams.get("t") ?? "";
    const page = await this.open(`${this.origin}${BEGIN_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `tma ${initData}` },
      body: JSON.stringify({ ticket }),
    });
    return { status: page.status, body: JSON.parse(page.text) as Record<string, unknown> };
  }
}

/** The real bot with Connect with Bybit on, its HTTP server on PUBLIC_URL's port, and Bybit's OAuth fake. */
export interface OAuthRig {
  h: Harness;
  oauth: FakeBybitOAuth;
  publicUrl: string;
  clientSecret: string;
  /** /connect (or /rotate), and the buttons of the choice step. */
  choose(follower: Follower, command?: string): Promise<Button[]>;
  /** A fresh browser, with no cookie of ours. */
  browser(): Browser;
  /**
   * The follower taps "Connect with Bybit" (after /connect, or `command`): Telegram opens our start page with
   * their signed initData, its script begins, and the browser is at Bybit's approval page (`authorizeUrl`).
   */
  authorize(follower: Follower, command?: string): Promise<{ browser: Browser; authorizeUrl: string; start: string }>;
  /** As `authorize`, then approve (or deny) on Bybit's page: where Bybit sends the browser back. */
  approve(follower: Follower, decision?: "approve" | "deny"): Promise<{ browser: Browser; back: string }>;
  /** GET an address as a browser with no cookie of ours would (no redirects followed). */
  open(url: string, init?: RequestInit): Promise<Page>;
  stop(): Promise<void>;
}

export async function startOAuthRig(
  app: Partial<FakeOAuthApp> = {},
  options: Omit<HarnessOptions, "web" | "webPort"> = {},
): Promise<OAuthRig> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const clientSecret = `oauth-client-secret-canary-${randomBytes(8).toString("hex")}`;
  const oauth = new FakeBybitOAuth({
    clientId: "copy-app",
    clientSecret,
    redirectUris: [`${publicUrl}${OAUTH_CALLBACK_PATH}`],
    ips: EGRESS,
    ...app,
  });
  await oauth.start();
  const settings = { clientId: "copy-app", clientSecret, authorizeUrl: oauth.authorizeUrl, apiRoot: oauth.url };
  const h = await startHarness({
    egressIps: EGRESS,
    telegramLimits: ROOMY_CHATS,
    ...options,
    web: [connectWithBybit({ oauth: settings, publicUrl, botToken: BOT_TOKEN })],
    webPort: port,
  });
  oauth.bybit = h.bybit;
  const rig: OAuthRig = {
    h,
    oauth,
    publicUrl,
    clientSecret,
    async choose(follower, command = "/connect") {
      follower.say(command);
      await follower.reply();
      const choice = h.telegram.lastBotMessage(follower.chat.id);
      return (choice.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard.flat();
    },
    browser: () => new Browser(publicUrl),
    async authorize(follower, command) {
      const [button] = await rig.choose(follower, command);
      const start = button!.web_app!.url;
      const browser = rig.browser();
      const begun = await browser.begin(start, initDataOf(follower));
      if (begun.status !== 200) throw new Error(`begin answered ${begun.status}: ${JSON.stringify(begun.body)}`);
      return { browser, authorizeUrl: String(begun.body.authorizeUrl), start };
    },
    async approve(follower, decision = "approve") {
      const { browser, authorizeUrl } = await rig.authorize(follower);
      return { browser, back: await oauth.decide(authorizeUrl, decision) };
    },
    open: (url, init) => new Browser(publicUrl).open(url, init),
    async stop() {
      await h.stop();
      await oauth.stop();
    },
  };
  return rig;
}
