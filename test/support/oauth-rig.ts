import { randomBytes } from "node:crypto";
import { connectWithBybit, OAUTH_CALLBACK_PATH } from "../../src/bot/web/connect-with-bybit.js";
import { freePort } from "../../src/infra/local-redis.js";
import { FakeBybitOAuth, type FakeOAuthApp } from "./fake-bybit-oauth.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness, type HarnessOptions } from "./harness.js";

export const EGRESS = ["203.0.113.10"];

export type Button = { text: string; url?: string; callback_data?: string };

/** The real bot with Connect with Bybit on, its HTTP server on PUBLIC_URL's port, and Bybit's OAuth fake. */
export interface OAuthRig {
  h: Harness;
  oauth: FakeBybitOAuth;
  publicUrl: string;
  clientSecret: string;
  /** /connect (or /rotate), and the buttons of the choice step. */
  choose(follower: Follower, command?: string): Promise<Button[]>;
  /** GET an address as a browser would (no redirects followed). */
  open(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }>;
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
    web: [connectWithBybit({ oauth: settings, publicUrl })],
    webPort: port,
  });
  oauth.bybit = h.bybit;
  return {
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
    async open(url, init = {}) {
      const response = await fetch(url, { redirect: "manual", ...init });
      return { status: response.status, headers: response.headers, text: await response.text() };
    },
    async stop() {
      await h.stop();
      await oauth.stop();
    },
  };
}
