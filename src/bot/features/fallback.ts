import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { texts } from "../texts.js";

/** What nobody else handled: a loose key in a private chat (sent or edited in), a stale button, or plain chatter. */
export function fallbackFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").on(["message", "edited_message"], async (ctx) => {
    if (!ctx.shredding) return ctx.editedMessage ? undefined : ctx.reply(texts.help);
    const shredding = await ctx.shredding;
    // Refused: the shredder has said so already, and that is what matters now.
    if (shredding !== "refused") await ctx.reply(texts.withDeletionNote(shredding, texts.looseCredential));
  });
  feature.on("callback_query", (ctx) => ctx.answerCallbackQuery({ text: texts.buttonExpired }));
  return feature;
}
