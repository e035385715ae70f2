import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sign } from "@telegram-apps/init-data-node";
import { miniApp } from "../../src/bot/web/mini-app/index.js";
import { BOT_TOKEN, type Follower, type Harness } from "./harness.js";

export { launchChromium } from "./chromium.js";

/** Where the Mini App's pages say they live (the buttons' URLs); the tests open them on the harness's port. */
export const PUBLIC_URL = "https://keys.example";
export const miniAppFeature = miniApp({ publicUrl: PUBLIC_URL, botToken: BOT_TOKEN });

/** Where screenshots go (ignored by git). */
export const TEST_OUTPUT = join(process.cwd(), "test-output");
export const outputFile = (name: string) => (mkdirSync(TEST_OUTPUT, { recursive: true }), join(TEST_OUTPUT, name));

/** initData as Telegram signs it as a follower opens the page (`token`: a forger's guess; `ageSeconds`: its age). */
export function initDataOf(follower: Follower, options: { token?: string; ageSeconds?: number } = {}): string {
  const { user } = follower;
  const signedUser = {
    id: user.id,
    first_name: user.first_name,
    ...(user.language_code ? { language_code: user.language_code } : {}),
  };
  const authDate = new Date(Date.now() - (options.ageSeconds ?? 0) * 1000);
  return sign({ user: signedUser, query_id: "AAE-test" }, options.token ?? BOT_TOKEN, authDate);
}

/** The page's address as Telegram opens it: the button's URL on the harness's port, launch parameters in the #hash. */
export function launchUrl(h: Harness, buttonUrl: string, initData: string): string {
  const url = new URL(buttonUrl);
  const hash = new URLSearchParams({ tgWebAppData: initData, tgWebAppVersion: "8.0", tgWebAppPlatform: "tdesktop" });
  return `${h.web!.url}${url.pathname}${url.search}#${hash}`;
}

/** The URL of the newest `web_app` button the bot showed this follower. */
export function webAppButtonUrl(h: Harness, follower: Follower): string {
  for (const message of h.telegram.botMessages(follower.chat.id).reverse()) {
    const rows = (message.reply_markup as { inline_keyboard?: { web_app?: { url: string } }[][] } | undefined)
      ?.inline_keyboard;
    const button = rows?.flat().find((entry) => entry.web_app);
    if (button) return button.web_app!.url;
  }
  throw new Error("the bot showed no web_app button");
}
