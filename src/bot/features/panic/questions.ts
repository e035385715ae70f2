import { Composer, InlineKeyboard, type Context } from "grammy";
import type { CredentialStore } from "../../../stores/credential-store.js";
import type { PanicStore } from "../../../stores/panic-store.js";
import type { BotContext } from "../../context.js";
import { textsOf } from "../../texts.js";
import { revokeKeyboard } from "./resend-steps.js";

/** "No, keep it", beside "Freeze it too". */
export const KEEP_IT = "panic:keep";

const html = { parse_mode: "HTML" } as const;
const steps = { ...html, link_preview_options: { is_disabled: true } } as const;
const revokeButtons = (ctx: Context, ref: string): InlineKeyboard => revokeKeyboard(textsOf(ctx), ref);

/**
 * The /panic questions answered with a button: "No, keep it" to "Freeze it too?", and the one question
 * "Forget the key now" asks before it forgets (its "Yes, forget it" is the flow's: panic.ts). Every button
 * names its key, and one pressed for a key no longer there has expired.
 */
export function panicQuestions(deps: {
  credentials: Pick<CredentialStore, "current">;
  panics: Pick<PanicStore, "flow">;
}): Composer<BotContext> {
  const questions = new Composer<BotContext>();
  // "No, keep it": the question's buttons go; the key it named stays as it is (pressed late, nothing changes).
  questions.callbackQuery(new RegExp(`^${KEEP_IT}:([\\w-]+)$`), async (ctx) => {
    const current = await deps.credentials.current(ctx.from.id);
    if (!current || current.ref !== ctx.match[1] || current.status !== "active")
      return ctx.answerCallbackQuery({ text: textsOf(ctx).buttonExpired });
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(textsOf(ctx).freezeTooKept(current), html).catch(() => undefined);
  });

  // "Forget the key now" asks once; "No, go back" shows the steps and their buttons again.
  questions.callbackQuery(/^panic:(forget|forget-no):([\w-]+)$/, async (ctx) => {
    const texts = textsOf(ctx);
    const flow = await deps.panics.flow(ctx.from.id, ctx.match[2]!);
    if (!flow) return ctx.answerCallbackQuery({ text: texts.buttonExpired });
    await ctx.answerCallbackQuery();
    if (ctx.match[1] === "forget-no")
      return ctx.editMessageText(texts.revokeSteps(flow.record), {
        ...steps,
        reply_markup: revokeButtons(ctx, flow.record.ref),
      });
    await ctx.reply(texts.forgetNowQuestion(flow.record), {
      ...html,
      reply_markup: new InlineKeyboard()
        .text(texts.forgetNowYesButton, `panic:forget-yes:${flow.record.ref}`)
        .text(texts.forgetNowNoButton, `panic:forget-no:${flow.record.ref}`),
    });
  });

  return questions;
}
