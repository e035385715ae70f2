import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { COMMANDS, textsOf } from "../texts.js";
import { carriedText } from "../intake/carriers.js";

/**
 * Groups and channels never see the connect flow; a key posted there (as text, caption or
 * edit) is deleted where possible, the poster's connected key is frozen if it is theirs, and the chat
 * is told to revoke it.
 */
export function groupFeature(
  frozeIfTheirs?: (posterId: number, languageCode: string | undefined, text: string) => Promise<boolean>,
): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const groups = feature.chatType(["group", "supergroup", "channel"]);
  // First: a key in the message matters more than a command it came with ("/connect <key> <secret>").
  groups.on(["message", "edited_message", "channel_post", "edited_channel_post"], async (ctx, next) => {
    if (!ctx.shredding) return next();
    // Leaked whatever becomes of the message: the poster's connected key is frozen (panic/group-leak.ts). Alongside
    // the group's answer, not before it: when the group hears must not tell whether the poster had a key here.
    const carried = carriedText(ctx.update);
    const freezing =
      frozeIfTheirs && ctx.from && !ctx.from.is_bot && carried
        ? frozeIfTheirs(ctx.from.id, ctx.from.language_code, carried.text).catch(() => false)
        : undefined;
    const shredding = await ctx.shredding;
    // Refused: the shredder tells the group itself.
    if (shredding === "deleted") await ctx.reply(textsOf(ctx).groupDeletedCredential(ctx.me.username));
    if (shredding === "still-trying") await ctx.reply(textsOf(ctx).groupDeletingCredential(ctx.me.username));
    await freezing;
  });
  groups.command("panic", (ctx) => ctx.reply(textsOf(ctx).groupPanic(ctx.me.username)));
  groups.command([...COMMANDS], (ctx) => ctx.reply(textsOf(ctx).groupKeysOnlyInPrivate(ctx.me.username)));
  return feature;
}
