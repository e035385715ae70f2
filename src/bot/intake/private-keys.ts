import { Composer } from "grammy";
import { keyMaterialIn } from "../../policy/key-material.js";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";

/**
 * A private key sent in a private chat is deleted and explained before any flow sees it, so it
 * never enters conversation state (whose replay log keeps every message a flow receives):
 * "stored nothing" stays true. Runs after the guard has started deleting it.
 */
export function privateKeyBarrier(): Composer<BotContext> {
  const barrier = new Composer<BotContext>();
  barrier.chatType("private").on(["message", "edited_message"], async (ctx, next) => {
    const text = ctx.msg.text ?? ctx.msg.caption;
    if (!ctx.shredding || text === undefined || keyMaterialIn(text) !== "private-key") return next();
    const shredding = await ctx.shredding;
    await ctx.reply(textsOf(ctx).withDeletionNote(shredding, textsOf(ctx).privateKeyPasted), { parse_mode: "HTML" });
  });
  return barrier;
}
