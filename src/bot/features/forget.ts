import { Composer, InlineKeyboard } from "grammy";
import type { Reminders } from "../../reminders/schedule.js";
import type { CredentialStore } from "../../stores/credential-store.js";
import type { FollowerLanguages } from "../../stores/follower-language.js";
import type { FollowerStore } from "../../stores/follower-store.js";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";

export interface ForgetDeps {
  credentials: CredentialStore;
  followers: FollowerStore;
  reminders: Reminders;
  languages: FollowerLanguages;
}

/** `/forget`: after one confirmation, delete everything stored about the follower. The button names who it is for. */
export function forgetFeature(deps: ForgetDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");
  dm.command("forget", async (ctx) => {
    const texts = textsOf(ctx);
    const keyboard = new InlineKeyboard()
      .text(texts.forgetButton, `forget:${ctx.from.id}`)
      .text(texts.keepButton, "forget:keep");
    await ctx.reply(texts.forgetConfirm, { reply_markup: keyboard });
  });
  dm.callbackQuery(/^forget:(.+)$/, async (ctx) => {
    const texts = textsOf(ctx);
    if (ctx.match[1] === "keep") {
      await ctx.answerCallbackQuery();
      return ctx.editMessageText(texts.forgetKept);
    }
    if (ctx.match[1] !== String(ctx.from.id)) return ctx.answerCallbackQuery({ text: texts.buttonExpired });
    await ctx.answerCallbackQuery();
    await ctx.conversation.exitAll();
    const record = await deps.credentials.current(ctx.from.id);
    await deps.followers.forget(ctx.from.id);
    deps.languages.forgetSeen(ctx.from.id);
    if (record) await deps.reminders.cancel(record);
    await ctx.editMessageText(texts.forgotten);
  });
  return feature;
}
