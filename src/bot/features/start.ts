import { Composer, InlineKeyboard } from "grammy";
import type { RotationRules } from "../../policy/rotation.js";
import type { CredentialStore } from "../../stores/credential-store.js";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";
import type { ConnectMode } from "./connect/connect.js";

export interface StartDeps {
  credentials: CredentialStore;
  rotation: RotationRules;
}

const START_CONNECT = "start:connect";
const html = { parse_mode: "HTML" } as const;

/**
 * First contact: `/start` says what the bot does and offers the next step (connecting, or the
 * key's status once connected); `/help` lists every command. A `?start=connect` link from a
 * group goes straight into the connect flow: that is what its follower asked for.
 */
export function startFeature(deps: StartDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");
  const connect = (ctx: BotContext) => ctx.conversation.enter("connect", "connect" satisfies ConnectMode);

  dm.command("start", async (ctx) => {
    if (ctx.match === "connect") return connect(ctx);
    const texts = textsOf(ctx);
    const record = await deps.credentials.current(ctx.from.id);
    const intro = texts.startIntro(deps.rotation.rotateAfterDays);
    if (record?.status === "active") return ctx.reply(`${intro}\n\n${texts.startNextConnected(record)}`, html);
    await ctx.reply(`${intro}\n\n${texts.startNextConnect}`, {
      ...html,
      reply_markup: new InlineKeyboard().text(texts.startConnectButton, START_CONNECT),
    });
  });
  dm.callbackQuery(START_CONNECT, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.conversation.exitAll();
    await connect(ctx);
  });
  dm.command("help", (ctx) => ctx.reply(textsOf(ctx).help, html));
  return feature;
}
