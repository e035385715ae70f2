import { textsFor, type Texts } from "../../texts.js";

/**
 * The page's own words (src/locales, `webapp-*`), in the follower's language, sent to the page as it opens: those
 * its script shows. The timeline's labels and /panic's note come with their own answers (status-api, panic-api).
 */
const PAGE_WORDS = [
  "title",
  "home-connect",
  "open-status",
  "open-panic",
  "have-secret",
  "make-for-me",
  "make-for-me-lead",
  "make-button",
  "api-key",
  "api-secret",
  "connect",
  "checking",
  "copy",
  "copied",
  "how",
  "also-in-chat",
  "failed",
  "offline",
  "status-title",
  "panic-title",
  "panic-lead",
  "panic-button",
] as const;

export type PageWords = Record<string, string>;

/** The page's words: keys in camelCase ("have-secret" as `haveSecret`). */
export function pageWords(languageCode: string | null): PageWords {
  const { lang } = textsFor(languageCode);
  const words: PageWords = { locale: lang.locale };
  for (const id of PAGE_WORDS)
    words[id.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())] = lang.t(`webapp-${id}`);
  return words;
}

/** Why the page cannot go on, as the follower reads it (Telegram's HTML subset, as the chat's texts). */
export type Refusal =
  | "missing"
  | "forged"
  | "stale"
  | "no-ticket"
  | "ticket-gone"
  | "not-yours"
  | "bad-key"
  | "bad-secret"
  | "too-large"
  | "cut-short"
  | "not-begun"
  | "failed";

export const refusalText = (texts: Texts, refusal: Refusal): string => texts.lang.t(`webapp-${refusal}`);

/** A text of the chat, as the page shows it: the chat's last paragraph ("send it here") left out. */
export const withoutLastParagraph = (html: string): string => html.split("\n\n").slice(0, -1).join("\n\n");
