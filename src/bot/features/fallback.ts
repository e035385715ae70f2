import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";

/**
 * What nobody else handled: a loose key in a private chat (sent or edited in), a message after
 * the connect flow expired, a stale button, or plain chatter (a pointer, never a word about keys).
 */
export function fallbackFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").on(["message", "edited_message"], async (ctx) => {
    const texts = textsOf(ctx);
    const expired = ctx.flowExpired ? texts.flowExpired(ctx.flowExpired) : null;
    if (!ctx.shredding) {
      return ctx.editedMessage ? undefined : ctx.reply(expired ?? texts.chatter);
    }
    const shredding = await ctx.shredding;
    // Refused: the shredder has said so already, and that is what matters now.
    if (shredding !== "refused") await ctx.reply(texts.withDeletionNote(shredding, expired ?? texts.looseCredential));
    else if (expired) await ctx.reply(expired);
  });
  feature.on("callback_query", (ctx) => ctx.answerCallbackQuery({ text: textsOf(ctx).buttonExpired }));
  return feature;
}
