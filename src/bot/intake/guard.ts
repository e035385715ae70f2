import { Composer } from "grammy";
import { containsCredentialLike } from "../../policy/credential-guard.js";
import type { BotContext } from "../context.js";
import { carriedText } from "./carriers.js";
import type { Shredder } from "./shredder.js";

/**
 * Runs first, before chats are queued one after another and before any storage is read:
 * a message (or caption, or edit) that looks like a key or secret starts being deleted the
 * moment it arrives, wherever it was sent. Handlers further down await the outcome through
 * `ctx.shredding`.
 */
export function credentialGuard(shredder: Shredder): Composer<BotContext> {
  const guard = new Composer<BotContext>();
  guard.use((ctx, next) => {
    const carried = carriedText(ctx.update);
    if (carried && containsCredentialLike(carried.text)) ctx.shredding = shredder.shred(carried);
    return next();
  });
  return guard;
}
