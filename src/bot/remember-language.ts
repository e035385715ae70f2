import type { MiddlewareFn } from "grammy";
import type { FollowerLanguages } from "../stores/follower-language.js";
import type { BotContext } from "./context.js";

/** Keeps each follower's Telegram language, for what reaches them later outside an update. */
export function rememberLanguage(
  languages: FollowerLanguages,
  logger: { warn(object: object, message: string): void },
): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const code = ctx.from?.language_code;
    if (code && ctx.chat?.type === "private") {
      // A reminder in English is better than no answer now.
      await languages
        .remember(ctx.from!.id, code)
        .catch((error: unknown) => logger.warn({ err: error }, "could not store a follower's language"));
    }
    return next();
  };
}
