import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { commandDescriptions, texts } from "../texts.js";

/** Groups never see the connect flow; a key posted there is deleted where possible, and the follower is told. */
export function groupFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const groups = feature.chatType(["group", "supergroup"]);
  groups.command(["start", ...Object.keys(commandDescriptions)], (ctx) => ctx.reply(texts.groupKeysOnlyInPrivate(ctx.me.username)));
  groups.on("message:text", async (ctx, next) => {
    if (!ctx.shredding) return next();
    const shredding = await ctx.shredding;
    await ctx.reply(shredding.deleted ? texts.groupDeletedCredential(ctx.me.username) : texts.groupCouldNotDelete(ctx.me.username));
  });
  return feature;
}
