import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type http from "node:http";
import type { BrokerApp } from "../../exchange/port.js";
import type { Route } from "../../http/routes.js";
import { textsFor } from "../texts.js";
import type { WebParts } from "./features.js";
import { apiRoute, field, type ApiHandler } from "./mini-app/api.js";
import { send } from "./mini-app/http.js";
import { sendStartPage } from "./oauth-page.js";

/**
 * The first leg of "Connect with Bybit", which binds an approval to the person and the browser that start it
 * (no login CSRF: a Bybit address passed to someone else connects nothing). The chat's button is a `web_app`
 * button to our start page; Telegram opens it with the initData it signed for whoever tapped. The page's own
 * script posts that initData and the button's ticket to `begin`, which believes the initData only if
 * Telegram signed it for this bot within ten minutes and only for the ticket's owner; then it ties the ticket
 * to a random nonce in an HttpOnly cookie (Redis keeps its digest beside the ticket) and answers Bybit's
 * approval address, which the page opens. The callback then requires that cookie before anything else.
 */

export const OAUTH_PATH = "/oauth/bybit";
export const START_PATH = `${OAUTH_PATH}/start`;
export const BEGIN_PATH = `${OAUTH_PATH}/begin`;
/** The cookie that ties an approval to the browser that began it. */
export const BROWSER_COOKIE = "bybit_oauth";

export const digestOfNonce = (nonce: string): string => createHash("sha256").update(nonce).digest("hex");

/** Where the cookie is sent: the OAuth paths as the browser sees them (under PUBLIC_URL's own path). */
export const cookiePath = (publicUrl: string): string =>
  `${new URL(publicUrl).pathname.replace(/\/+$/, "")}${OAUTH_PATH}`;

/** The cookie, set for `seconds` (0: cleared). Secure unless PUBLIC_URL is http:// (this machine only). */
export function browserCookie(publicUrl: string, value: string, seconds: number): string {
  const secure = new URL(publicUrl).protocol === "https:" ? "; Secure" : "";
  const attributes = `Path=${cookiePath(publicUrl)}; Max-Age=${seconds}; HttpOnly; SameSite=Lax${secure}`;
  return `${BROWSER_COOKIE}=${value}; ${attributes}`;
}

/** The cookie's nonce in a request, if it is shaped like one of ours. */
export function nonceIn(request: http.IncomingMessage): string | null {
  for (const pair of (request.headers.cookie ?? "").split(";")) {
    const [name, value] = pair.trim().split("=", 2);
    if (name === BROWSER_COOKIE && value && /^[\w-]{43}$/.test(value)) return value;
  }
  return null;
}

/** Whether the request's cookie is the one the ticket was bound to (both digests, compared in constant time). */
export function sameBrowser(request: http.IncomingMessage, binding: string | null): boolean {
  const nonce = nonceIn(request);
  if (!nonce || !binding || !/^[0-9a-f]{64}$/.test(binding)) return false;
  return timingSafeEqual(Buffer.from(digestOfNonce(nonce), "hex"), Buffer.from(binding, "hex"));
}

const SCRIPT = readFileSync(new URL("./oauth-public/start.js", import.meta.url));

export interface StartSettings {
  publicUrl: string;
  botToken: string;
  /** The ticket's lifetime: the cookie lives no longer. */
  cookieSeconds: number;
}

/** The start page, its script, and `begin`. */
export function startRoutes(parts: WebParts, app: BrokerApp, redirectUri: string, settings: StartSettings): Route[] {
  const page = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const { lang } = textsFor(request.headers["accept-language"]?.split(",")[0]?.trim());
    sendStartPage(response, {
      locale: lang.locale,
      title: lang.t("oauth-page-title"),
      opening: lang.t("oauth-start-opening"),
      framed: lang.t("oauth-start-framed"),
      failed: lang.t("webapp-failed"),
    });
  };
  return [
    { method: "GET", path: START_PATH, handle: page },
    {
      method: "GET",
      path: `${START_PATH}.js`,
      handle: async (_request, response) => send(response, 200, SCRIPT, "text/javascript; charset=utf-8"),
    },
    apiRoute(BEGIN_PATH, settings.botToken, parts.logger, begin(parts, app, redirectUri, settings)),
  ];
}

function begin(parts: WebParts, app: BrokerApp, redirectUri: string, settings: StartSettings): ApiHandler {
  return async (who, body) => {
    const ticket = field(body, "ticket", 64);
    const claims = await parts.webTickets.peek(ticket, "oauth");
    // In the language of whoever opened the page: they read it (the ticket's owner or not).
    const texts = textsFor(who.languageCode);
    const refuse = (status: number, refused: string, html: string) => ({ status, body: { refused, html } });
    const used = () => refuse(410, "link-used", texts.oauthPage("link-used").body);
    if (!claims) return used();
    if (claims.userId !== who.userId) {
      // Someone else's button (its address was passed on): the ticket is spent, so it serves nobody now.
      await parts.webTickets.redeem(ticket, "oauth");
      parts.logger.warn(
        { userId: claims.userId, opener: who.userId },
        "an OAuth start link was opened by another user",
      );
      parts.metrics.connects.inc({ outcome: "oauth-not-yours" });
      return refuse(403, "not-yours", texts.lang.t("oauth-start-not-yours"));
    }
    const nonce = randomBytes(32).toString("base64url");
    if (!(await parts.webTickets.bind(ticket, "oauth", digestOfNonce(nonce)))) return used();
    return {
      status: 200,
      body: { authorizeUrl: app.authorizeUrl(ticket, redirectUri), html: texts.lang.t("oauth-start-opening") },
      headers: { "Set-Cookie": browserCookie(settings.publicUrl, nonce, settings.cookieSeconds) },
    };
  };
}
