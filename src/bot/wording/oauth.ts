import type { AppFailure } from "../../exchange/port.js";
import type { Lang } from "../i18n.js";
import { placeOf } from "./sites.js";
import { API_MANAGEMENT_URL } from "./connect.js";

/** Every word of "Connect with Bybit" (Bybit's OAuth for API brokers): the button, the pages, the chat's words. */

/** What the browser is told when it comes back from Bybit. */
export type OAuthPage =
  "done" | "not-connected" | "later" | "link-used" | "denied" | "bybit-failed" | "fault" | "other-browser";

/** What the chat is told when no key came of an approval. */
export type OAuthMiss = "denied" | "panicked" | "other-browser" | AppFailure;

export function oauthTexts(lang: Lang) {
  const { t } = lang;
  const link = (record?: { exchange: string; site: string }) =>
    t("api-management-link", { url: record ? placeOf(record).apiManagementUrl : API_MANAGEMENT_URL });
  return {
    oauthButton: t("oauth-button"),
    /** The page's title and its one paragraph. */
    oauthPage: (page: OAuthPage) => ({ title: t("oauth-page-title"), body: t(`oauth-page-${page}`) }),
    /** In the chat, when the approval gave no key. */
    oauthMissed: (miss: OAuthMiss) =>
      miss === "denied" || miss === "panicked" || miss === "other-browser"
        ? t(`oauth-chat-${miss}`)
        : miss === "code-refused"
          ? t("oauth-chat-code-refused")
          : t("oauth-chat-failed", { link: link() }),
    /** A key Bybit made for our app that we cannot use: the follower can only delete it. */
    oauthRefused: (site?: { exchange: string; site: string }) => t("oauth-refused", { link: link(site) }),
  };
}
