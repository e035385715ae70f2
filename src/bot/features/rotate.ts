import { Composer } from "grammy";
import { rotatePress, type RotatePressDeps } from "../../use-cases/rotate.js";
import type { BotContext } from "../context.js";
import { ROTATE_NOW_PRESS } from "../key-buttons.js";
import { textsOf } from "../texts.js";
import type { ConnectMode } from "./connect/connect.js";

export type RotateDeps = RotatePressDeps;

/**
 * `/rotate` and the reminders' "Rotate now" button: the connect flow, worded for replacing a key.
 * The button names the key its reminder was about: pressed after that key was frozen, replaced or
 * disconnected (the rotate use case's "old-button"), it says so and leaves the key the follower has
 * now alone.
 */
export function rotateFeature(deps: RotateDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");
  const startRotation = async (ctx: BotContext) => {
    await ctx.conversation.exitAll();
    await ctx.conversation.enter("connect", "rotate" satisfies ConnectMode);
  };
  dm.command("rotate", startRotation);
  dm.callbackQuery(ROTATE_NOW_PRESS, async (ctx) => {
    await ctx.answerCallbackQuery();
    const press = { ref: ctx.match[1], messageDate: ctx.callbackQuery.message?.date ?? 0 };
    const pressed = await rotatePress(deps, ctx.from.id, press);
    if (pressed.kind === "old-button") {
      const texts = textsOf(ctx);
      return ctx.reply(pressed.inUse ? texts.buttonForOldKey : texts.buttonForOldKeyNone);
    }
    await startRotation(ctx);
  });
  return feature;
}
