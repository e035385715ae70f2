import { Composer } from "grammy";
import { reminderTimes, type RotationRules } from "../../policy/rotation.js";
import type { CredentialStore } from "../../vault/credential-store.js";
import type { BotContext } from "../context.js";
import { texts } from "../texts.js";

export interface StatusDeps {
  credentials: CredentialStore;
  rotation: RotationRules;
  clock: () => number;
}

/** `/status`: the connected key, its expiry and when each reminder comes. */
export function statusFeature(deps: StatusDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").command("status", async (ctx) => {
    const record = await deps.credentials.current(ctx.from.id);
    if (!record) return ctx.reply(texts.noKey);
    await ctx.reply(texts.status(record, reminderTimes(record, deps.rotation), deps.clock()), { parse_mode: "HTML" });
  });
  return feature;
}
