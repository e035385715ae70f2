import { Composer } from "grammy";
import { keyMaterialIn } from "../../policy/key-material.js";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";

/**
 * A private key sent in a private chat is deleted and explained before any flow sees it, so it
 * never enters conversation state (whose replay log keeps every message a flow receives):
 * "stored nothing" stays true. Runs after the guard has started deleting it. `onPairStep`: whether the
 * follower holds a key pair of ours, waiting for its API key (the hint then fits that step).
 */
export function privateKeyBarrier(onPairStep: (userId: number) => Promise<boolean>): Composer<BotContext> {
  const barrier = new Composer<BotContext>();
  barrier.chatType("private").on(["message", "edited_message"], async (ctx, next) => {
    const text = ctx.msg.text ?? ctx.msg.caption;
    if (!ctx.shredding || text === undefined || keyMaterialIn(text) !== "private-key") return next();
    const [shredding, pairStep] = await Promise.all([
      ctx.shredding,
      ctx.from ? onPairStep(ctx.from.id).catch(() => false) : false,
    ]);
    // Already on "Make the key for me": what to send here; elsewhere, that way is the safer one.
    const texts = textsOf(ctx);
    const words = pairStep ? texts.privateKeyPastedPairStep : texts.privateKeyPasted;
    await ctx.reply(texts.withDeletionNote(shredding, words), { parse_mode: "HTML" });
  });
  return barrier;
}
