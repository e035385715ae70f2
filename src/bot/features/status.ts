import { Composer } from "grammy";
import { reminderTimes, type RotationRules } from "../../policy/rotation.js";
import type { CredentialStore } from "../../stores/credential-store.js";
import type { PanicStore } from "../../stores/panic-store.js";
import type { BotContext } from "../context.js";
import { textsOf } from "../texts.js";

export interface StatusDeps {
  credentials: CredentialStore;
  panics: PanicStore;
  rotation: RotationRules;
  clock: () => number;
}

/** `/status`: the connected key, its expiry and when each reminder comes; without one, what became of the last key frozen with /panic. */
export function statusFeature(deps: StatusDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").command("status", async (ctx) => {
    const texts = textsOf(ctx);
    const record = await deps.credentials.current(ctx.from.id);
    if (!record) {
      const revoked = await deps.panics.revocation(ctx.from.id);
      return ctx.reply(revoked ? `${texts.lastRevoked(revoked)}\n\n${texts.noKey}` : texts.noKey, {
        parse_mode: "HTML",
      });
    }
    await ctx.reply(texts.status(record, reminderTimes(record, deps.rotation), deps.clock()), { parse_mode: "HTML" });
  });
  return feature;
}
