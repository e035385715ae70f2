import { Composer, InlineKeyboard } from "grammy";
import type { Reminders } from "../../reminders/schedule.js";
import type { CredentialStore } from "../../stores/credential-store.js";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";

export interface DisconnectDeps {
  credentials: CredentialStore;
  reminders: Reminders;
}

const KEEP = "disconnect:keep";

/**
 * `/disconnect`: forget the key after one confirmation. The button names the credential it is
 * about, so a press after the key changed, or by anyone but its owner, finds nothing to act on.
 */
export function disconnectFeature(deps: DisconnectDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");
  dm.command("disconnect", async (ctx) => {
    const texts = textsOf(ctx);
    const record = await deps.credentials.current(ctx.from.id);
    if (!record) return ctx.reply(texts.noKey);
    const keyboard = new InlineKeyboard()
      .text(texts.disconnectButton, `disconnect:${record.ref}`)
      .text(texts.keepButton, KEEP);
    await ctx.reply(texts.disconnectConfirm(record), { parse_mode: "HTML", reply_markup: keyboard });
  });
  dm.callbackQuery(/^disconnect:(.+)$/, async (ctx) => {
    const texts = textsOf(ctx);
    await ctx.answerCallbackQuery();
    if (ctx.callbackQuery.data === KEEP) return ctx.editMessageText(texts.disconnectKept);
    const record = await deps.credentials.current(ctx.from.id);
    if (!record || `disconnect:${record.ref}` !== ctx.callbackQuery.data)
      return ctx.editMessageText(texts.buttonExpired);
    // Purge first: should removing the reminders fail, they find no credential and send nothing.
    await deps.credentials.purge(ctx.from.id);
    await deps.reminders.cancel(record);
    await ctx.editMessageText(texts.disconnected(record), { parse_mode: "HTML" });
  });
  return feature;
}
