import { Composer } from "grammy";
import type { CredentialStore } from "../../stores/credential-store.js";
import type { BotContext } from "../context.js";
import { pressIsForCurrentKey, ROTATE_NOW_PRESS } from "../key-buttons.js";
import { textsOf } from "../texts.js";
import type { ConnectMode } from "./connect/connect.js";

export interface RotateDeps {
  credentials: CredentialStore;
}

/**
 * `/rotate` and the reminders' "Rotate now" button: the connect flow, worded for replacing a key.
 * The button names the key its reminder was about: pressed after that key was frozen, replaced or
 * disconnected, it says so and leaves the key the follower has now alone.
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
    const current = await deps.credentials.current(ctx.from.id);
    // With no key in use now, "replace the key you have now" would point nowhere.
    const hasOne = current?.status === "active";
    if (!pressIsForCurrentKey(press, current)) {
      const texts = textsOf(ctx);
      return ctx.reply(hasOne ? texts.buttonForOldKey : texts.buttonForOldKeyNone);
    }
    await startRotation(ctx);
  });
  return feature;
}
