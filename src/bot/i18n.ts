import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { I18n } from "@grammyjs/i18n";

/**
 * The bot's languages: one Fluent file per language in src/locales, English the fallback for
 * any language without a file and for any message a file lacks. Texts are picked by locale
 * (`i18n.t(locale, …)`) rather than through the plugin's context middleware, so that the same
 * copy serves updates, conversation replays and the workers, which have no update at hand.
 */
export const DEFAULT_LOCALE = "en";
export const LOCALES_DIR = fileURLToPath(new URL("../locales", import.meta.url));

export const i18n = new I18n({
  defaultLocale: DEFAULT_LOCALE,
  directory: LOCALES_DIR,
  // Bidi isolation marks around every value would reach Telegram as invisible characters.
  fluentBundleOptions: { useIsolating: false },
  // A message missing from a language falls back to English; the locale test names every one missing.
  fluentOptions: { warningHandler: () => undefined },
});

/** The message ids of each locale file, as written (the locale test compares them, and labels look them up). */
export function messageIds(locale: Locale): Set<string> {
  return new Set(
    [...readFileSync(join(LOCALES_DIR, `${locale}.ftl`), "utf8").matchAll(/^([a-zA-Z][\w-]*)\s*=/gm)].map(
      (match) => match[1]!,
    ),
  );
}
export const LOCALE_FILES = readdirSync(LOCALES_DIR)
  .filter((file) => file.endsWith(".ftl"))
  .map((file) => file.slice(0, -4));
const englishIds = messageIds(DEFAULT_LOCALE);
export const hasMessage = (key: string) => englishIds.has(key);

export type Locale = string;

/** The language we speak to someone whose Telegram says `languageCode` ("ru", "pt-br", or nothing). */
export function pickLocale(languageCode: string | undefined | null): Locale {
  const base = languageCode?.toLowerCase().split(/[-_]/)[0];
  return base && i18n.locales.includes(base) ? base : DEFAULT_LOCALE;
}

export type Translate = (key: string, variables?: Record<string, string | number>) => string;

/** A translation function and the formats of one language. */
export interface Lang {
  locale: Locale;
  t: Translate;
  /** A day, in UTC. */
  date(epochMs: number): string;
  /** A day and a time, in UTC. */
  dateTime(epochMs: number): string;
  /** An amount of USD, two decimals. */
  usd(amount: string): string;
}

export function langFor(locale: Locale): Lang {
  const intlLocale = locale === "en" ? "en-GB" : locale;
  const date = new Intl.DateTimeFormat(intlLocale, {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  const dateTime = new Intl.DateTimeFormat(intlLocale, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  });
  const usd = new Intl.NumberFormat(locale === "en" ? "en-US" : locale, {
    maximumFractionDigits: 2,
    minimumFractionDigits: 2,
  });
  const t: Translate = (key, variables) => i18n.t(locale, key, variables);
  return {
    locale,
    t,
    date: (epochMs) => date.format(epochMs),
    dateTime: (epochMs) => dateTime.format(epochMs),
    usd: (amount) => {
      const value = Number(amount);
      return Number.isFinite(value) ? usd.format(value) : t("amount-unknown");
    },
  };
}
