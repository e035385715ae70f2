import type http from "node:http";
import type { AppFailure, BrokerApp, BrokerAppSettings } from "../../exchange/port.js";
import type { Route } from "../../http/routes.js";
import { TICKET_SECONDS, type TicketClaims } from "../../stores/web-tickets.js";
import type { Admission } from "../../use-cases/connect.js";
import { textsFor, type Texts } from "../texts.js";
import type { OAuthMiss, OAuthPage } from "../wording/oauth.js";
import { fromAppKey } from "../features/connect/render.js";
import { connectFromWeb } from "./connect-from-web.js";
import type { WebFeatureFactory, WebParts } from "./features.js";
import type { WayOffer } from "./offer-ways.js";
import { sendPage } from "./oauth-page.js";
import { browserCookie, sameBrowser, START_PATH, startRoutes } from "./oauth-start.js";

/** Where Bybit sends the follower back: PUBLIC_URL + this is the redirect URI to register with the app. */
export const OAUTH_CALLBACK_PATH = "/oauth/bybit/callback";

export interface ConnectWithBybitSettings {
  oauth: BrokerAppSettings;
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
  /** Telegram signs the start page's initData with a key made from it. */
  botToken: string;
}

/** What a code looks like (Bybit's are some 25 letters and digits): anything else is not sent to Bybit. */
const CODE_SHAPE = /^[\w.~-]{1,512}$/;

/**
 * "Connect with Bybit" (Bybit's OAuth for API brokers): a `web_app` button first in /connect and /rotate, to
 * our start page with a one-time ticket (oauth-start.ts: it binds the ticket to the person who tapped and to
 * their browser, then opens Bybit's approval page with the ticket as `state`); and the callback route, which
 * redeems the ticket before anything else and requires the browser that began it (a replayed or forged state,
 * or an approval opened in another browser, exchanges no code), has the adapter exchange
 * the code for the key Bybit made for the app, and hands that key to the connect use case as any other,
 * marked `origin: "oauth"`. The browser gets a short page; the chat hears the outcome with its facts.
 */
export function connectWithBybit(settings: ConnectWithBybitSettings): WebFeatureFactory {
  return (parts) => {
    const app = parts.exchanges.main.brokerApp?.(settings.oauth);
    if (!app) return {};
    const redirectUri = `${settings.publicUrl}${OAUTH_CALLBACK_PATH}`;
    const way: WayOffer = async (flow, texts) => {
      const { userId, chatId, languageCode, mode, site, panicEpoch } = flow;
      const state = await parts.webTickets.issue(
        { purpose: "oauth", userId, chatId, languageCode, mode, panicEpoch, ...(site ? { site } : {}) },
        parts.clock(),
      );
      return { text: texts.oauthButton, web_app: { url: `${settings.publicUrl}${START_PATH}?t=${state}` } };
    };
    const handle = (request: http.IncomingMessage, response: http.ServerResponse) =>
      callback(parts, app, settings.publicUrl, request, response);
    // Bybit's own example comes back with a slash after the path: both are served.
    const routes: Route[] = [
      ...startRoutes(parts, app, redirectUri, { ...settings, cookieSeconds: TICKET_SECONDS }),
      { method: "GET", path: OAUTH_CALLBACK_PATH, handle },
      { method: "GET", path: `${OAUTH_CALLBACK_PATH}/`, handle },
    ];
    return { ways: [way], routes };
  };
}

async function callback(
  parts: WebParts,
  app: BrokerApp,
  publicUrl: string,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  // The query holds the code: it is read here and never logged (nor is the URL).
  const query = new URL(request.url ?? "/", "http://callback.invalid").searchParams;
  const browserTexts = textsFor(request.headers["accept-language"]?.split(",")[0]?.trim());
  const page = (status: number, texts: Texts, kind: OAuthPage) =>
    sendPage(response, status, { locale: texts.lang.locale, ...texts.oauthPage(kind) });
  const count = (outcome: string) => parts.metrics.connects.inc({ outcome: `oauth-${outcome}` });

  let redeemed: Awaited<ReturnType<WebParts["webTickets"]["redeemBound"]>>;
  try {
    // Single use, before anything else: a second visit of the same address finds nothing.
    redeemed = await parts.webTickets.redeemBound(query.get("state") ?? "", "oauth");
  } catch (error) {
    parts.logger.warn({ err: error }, "an OAuth callback's state could not be looked up");
    count("fault");
    return page(503, browserTexts, "fault");
  }
  if (!redeemed) {
    count("unknown-state");
    return page(400, browserTexts, "link-used");
  }
  const { claims } = redeemed;
  // The browser's cookie has done its work whatever comes next (a stray address with no live state leaves it).
  response.setHeader("Set-Cookie", browserCookie(publicUrl, "", 0));
  const texts = textsFor(claims.languageCode);
  const { userId } = claims;
  // Only the browser that began this approval may finish it: an approval address passed to someone else (or
  // opened where the start page was not) connects nothing to the ticket's owner, and no code is exchanged.
  if (!sameBrowser(request, redeemed.binding)) {
    parts.logger.warn({ userId, bound: redeemed.binding !== null }, "an OAuth callback came from another browser");
    await tell(parts, claims, texts, "other-browser");
    count("other-browser");
    return page(403, browserTexts, "other-browser");
  }
  // A /panic since the button was shown ends this: no code is exchanged, so Bybit makes no key.
  const epoch = await parts.credentials.panicEpoch(userId).catch(() => null);
  if (epoch === null) {
    count("fault");
    return page(503, texts, "fault");
  }
  if (epoch !== claims.panicEpoch) {
    await tell(parts, claims, texts, "panicked");
    count("panicked");
    return page(409, texts, "not-connected");
  }
  const code = query.get("code") ?? "";
  // The follower said no (OAuth's `error=access_denied`), or Bybit came back without a usable code.
  if (query.has("error") || !CODE_SHAPE.test(code)) {
    const denied = query.get("error") === "access_denied";
    await tell(parts, claims, texts, denied ? "denied" : "unavailable");
    count(denied ? "denied" : "bybit-error");
    return page(denied ? 200 : 502, texts, denied ? "denied" : "bybit-failed");
  }

  let failure: AppFailure | null = null;
  const result = await connectFromWeb(
    parts,
    claims,
    async () => {
      const issued = await app.issuedKey(code);
      if (issued.ok) return { type: "hmac", credentials: issued.credentials, origin: "oauth" };
      failure = issued.failure;
      return null;
    },
    claims.mode,
  );
  switch (result.kind) {
    case "unrecorded":
      // Nothing was asked of Bybit: the code is unused, but the state is spent. The page says what to do.
      count("fault");
      return page(503, texts, "fault");
    case "not-obtained": {
      const missed: AppFailure = failure ?? "unavailable";
      parts.logger.warn({ userId, failure: missed }, "Bybit gave no key for an OAuth approval");
      await tell(parts, claims, texts, missed);
      count(missed);
      return page(502, texts, "bybit-failed");
    }
    case "cut-short":
      return page(200, texts, "later");
    case "checked":
      if (result.admission.outcome === "refused") noteForOperator(parts, userId, result.admission);
      return page(200, texts, result.admission.outcome === "connected" ? "done" : "not-connected");
  }
}

/** A word in the chat of the follower who set off the approval; a failure to send costs only the word. */
async function tell(parts: WebParts, claims: TicketClaims, texts: Texts, miss: OAuthMiss): Promise<void> {
  await parts.api
    .sendMessage(claims.chatId, texts.oauthMissed(miss), {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
    })
    .catch((error: unknown) =>
      parts.logger.warn({ err: error, userId: claims.userId }, "the chat could not be told of an OAuth approval"),
    );
}

/** A key Bybit made for the app and our rules refuse is the app's settings or EGRESS_IPS at odds: the operator's. */
function noteForOperator(parts: WebParts, userId: number, admission: Admission & { outcome: "refused" }): void {
  if (!fromAppKey(admission.refusal)) return;
  parts.logger.error(
    { userId, why: admission.why },
    "a key Bybit issued to the OAuth app was refused: check the app's permissions and IPs against EGRESS_IPS",
  );
}
