// `!page`: the Mini App's address for you, as Telegram would open it (its initData signed with the sandbox's
// bot token, in the #hash), to paste into a browser on this machine. Signed now: valid for ten minutes.
import { sign } from "@telegram-apps/init-data-node";
import type { FakeTelegram, FakeUser } from "../../test/support/fake-telegram.js";

export const PAGES = ["home", "connect", "status", "panic"] as const;

/** The newest `web_app` button the bot showed you (/connect's carries the form's one-time ticket). */
function newestButton(telegram: FakeTelegram, you: FakeUser, view: string): URL | null {
  for (const message of telegram.botMessages(you.id).reverse()) {
    const rows = (message.reply_markup as { inline_keyboard?: { web_app?: { url: string } }[][] } | undefined)
      ?.inline_keyboard;
    const url = rows?.flat().find((button) => button.web_app?.url.includes(`/app/${view}`))?.web_app?.url;
    if (url) return new URL(url);
  }
  return null;
}

/** The page's local address, or why there is none yet. */
export function pageAddress(
  sandbox: { telegram: FakeTelegram; you: FakeUser; token: string; publicUrl: string },
  view: string,
): { url: string } | { problem: string } {
  if (!(PAGES as readonly string[]).includes(view)) return { problem: `!page takes one of: ${PAGES.join(", ")}` };
  const button = view === "connect" ? newestButton(sandbox.telegram, sandbox.you, view) : null;
  if (view === "connect" && !button)
    return { problem: "send /connect first: !page connect opens the form of its “🔐 Type it in a secure page” button" };
  const launch = new URLSearchParams({
    tgWebAppData: initDataFor(sandbox),
    tgWebAppVersion: "8.0",
    tgWebAppPlatform: "unknown",
  });
  return { url: `${sandbox.publicUrl}/app/${view}${button?.search ?? ""}#${launch}` };
}

/** initData as Telegram signs it for you as a page opens (valid for ten minutes). */
export function initDataFor(sandbox: { you: FakeUser; token: string }): string {
  const { id, first_name, language_code } = sandbox.you;
  const user = { id, first_name, ...(language_code ? { language_code } : {}) };
  return sign({ user }, sandbox.token, new Date());
}
