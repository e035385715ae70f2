import { Composer } from "grammy";
import { containsCredentialLike } from "../../policy/credential-format.js";
import type { BotContext } from "../context.js";
import type { Shredder } from "../shredder.js";

/**
 * Runs first, before chats are queued one after another and before any storage is read:
 * a message that looks like a key or secret starts being deleted the moment it arrives,
 * wherever it was sent. Handlers further down await the outcome through `ctx.shredding`.
 */
export function credentialGuard(shredder: Shredder): Composer<BotContext> {
  const guard = new Composer<BotContext>();
  guard.on("message:text", (ctx, next) => {
    if (containsCredentialLike(ctx.message.text)) ctx.shredding = shredder.shred(ctx.chat.id, ctx.message.message_id);
    return next();
  });
  return guard;
}
