import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { ROTATE_NOW } from "../reminder-delivery.js";
import type { ConnectMode } from "./connect/connect.js";

/** `/rotate` and the reminders' "Rotate now" button: the connect flow, worded for replacing a key. */
export function rotateFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");
  const startRotation = async (ctx: BotContext) => {
    await ctx.conversation.exitAll();
    await ctx.conversation.enter("connect", "rotate" satisfies ConnectMode);
  };
  dm.command("rotate", startRotation);
  dm.callbackQuery(ROTATE_NOW, async (ctx) => {
    await ctx.answerCallbackQuery();
    await startRotation(ctx);
  });
  return feature;
}
