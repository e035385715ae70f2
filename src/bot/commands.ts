import type { Api } from "grammy";
import { i18n } from "./i18n.js";
import { textsFor } from "./texts.js";

/**
 * The command menu followers see in private chats: English for everyone, and each other
 * language's for followers whose Telegram is set to it.
 */
export async function publishCommands(api: Api): Promise<void> {
  const scope = { type: "all_private_chats" } as const;
  await api.setMyCommands(textsFor("en").commandDescriptions, { scope });
  for (const locale of i18n.locales.filter((locale) => locale !== "en")) {
    await api.setMyCommands(textsFor(locale).commandDescriptions, { scope, language_code: locale as "ru" });
  }
}
