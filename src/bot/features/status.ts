import { Composer, InlineKeyboard } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import { status, type StatusDeps } from "../../use-cases/status.js";
import type { BotContext } from "../context.js";
import { textsOf, type Texts } from "../texts.js";

export interface StatusFeatureDeps extends StatusDeps {
  /** Buttons under the answer (the Mini App's timeline), where a web feature offers them. */
  buttons?: ((texts: Texts) => InlineKeyboardButton[])[];
}

/**
 * `/status`: the connected key, its expiry and when each reminder comes; without one, what became of
 * the last key frozen with /panic. The keys frozen and still open were said already, with their
 * buttons, by the panic feature ahead of this one (which stops there when no key is connected).
 */
export function statusFeature(deps: StatusFeatureDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").command("status", async (ctx) => {
    const texts = textsOf(ctx);
    const found = await status(deps, ctx.from.id);
    const buttons = (deps.buttons ?? []).flatMap((buttonsOf) => buttonsOf(texts));
    const markup = buttons.length > 0 ? { reply_markup: InlineKeyboard.from(buttons.map((button) => [button])) } : {};
    if (found.kind === "none") {
      const { lastRevoked } = found;
      return ctx.reply(lastRevoked ? `${texts.lastRevoked(lastRevoked)}\n\n${texts.noKey}` : texts.noKey, {
        parse_mode: "HTML",
      });
    }
    await ctx.reply(texts.status(found.record, found.reminders, found.now), { parse_mode: "HTML", ...markup });
  });
  return feature;
}
