import type { Api } from "grammy";
import type { Route } from "../../../http/routes.js";
import { textsFor } from "../../texts.js";
import type { WebFeatureFactory } from "../features.js";
import { apiRoute } from "./api.js";
import { connectKey, issuePair, openConnect } from "./connect-api.js";
import { assetRoutes } from "./http.js";
import { openWords, pressPanic } from "./panic-api.js";
import { openStatus } from "./status-api.js";

export interface MiniAppSettings {
  /** PUBLIC_URL: the pages live under `<publicUrl>/app/`. */
  publicUrl: string;
  /** Telegram signs each page's initData with a key made from it. */
  botToken: string;
  /** How long an API request's body may take to arrive (default BODY_DEADLINE_MS). */
  bodyDeadlineMs?: number;
}

/** The pages, each one HTML file whose script reads the view from its path. */
export const VIEWS = ["home", "connect", "status", "panic"] as const;
export type View = (typeof VIEWS)[number];

/** Where a page is, for a `web_app` button (Telegram opens https:// pages only). */
export const pageUrl = (publicUrl: string, view: View, ticket?: string): string =>
  `${publicUrl}/app/${view}${ticket ? `?t=${ticket}` : ""}`;

/**
 * The Mini App: pages inside Telegram for the key and secret (never a chat message), the public key with a
 * Copy button, the key's life as a picture, and /panic's button. Offered as a `web_app` button at the top of
 * /connect's and /rotate's choice (bound to the flow by a one-time ticket), under /status, and as the bot's
 * menu button (`publishMenuButton`). Its HTTP side: the page and its own script and style, and a JSON API
 * that believes only Telegram's signed initData (who.ts).
 */
export function miniApp(settings: MiniAppSettings): WebFeatureFactory {
  return (parts) => {
    // Served under PUBLIC_URL's path: a proxy passes it on as it is.
    const base = `${new URL(settings.publicUrl).pathname.replace(/\/+$/, "")}/app`;
    const api = (name: string, handler: Parameters<typeof apiRoute>[3]): Route =>
      apiRoute(`${base}/api/${name}`, settings.botToken, parts.logger, handler, settings.bodyDeadlineMs);
    return {
      ways: [
        async (flow, texts) => {
          const ticket = await parts.webTickets.issue({ purpose: "webapp", ...flow }, parts.clock());
          return {
            text: texts.lang.t("webapp-button"),
            web_app: { url: pageUrl(settings.publicUrl, "connect", ticket) },
          };
        },
      ],
      statusButtons: (texts) => [
        { text: texts.lang.t("webapp-status-button"), web_app: { url: pageUrl(settings.publicUrl, "status") } },
      ],
      routes: [
        ...assetRoutes(base, VIEWS),
        api("connect/open", openConnect(parts)),
        api("connect/pair", issuePair(parts)),
        api("connect", connectKey(parts)),
        api("status", openStatus(parts)),
        api("words", openWords()),
        api("panic", pressPanic(parts)),
      ],
    };
  };
}

/**
 * The menu button beside the chat's text field opens the Mini App's home page (the key's life, /panic). The
 * default button serves every chat: in English, as Telegram takes no language for it.
 */
export async function publishMenuButton(api: Api, publicUrl: string): Promise<void> {
  const text = textsFor("en").lang.t("webapp-menu-button");
  await api.setChatMenuButton({ menu_button: { type: "web_app", text, web_app: { url: pageUrl(publicUrl, "home") } } });
}
