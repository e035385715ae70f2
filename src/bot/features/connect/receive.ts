import type { Context } from "grammy";
import { parseCredentialText, type CredentialText } from "../../../policy/credential-format.js";
import type { BotConversation } from "../../context.js";
import type { Shredder } from "../../intake/shredder.js";
import { texts } from "../../texts.js";
import type { KeySource } from "./admit.js";

/**
 * What the flow waits for: `rsa` is only the API key of a key made from our public key;
 * `hmac` is a key and its secret, in two messages or one. Either way, a key and secret
 * pasted together are taken at once: the choice never stands between a follower and a
 * key they already hold.
 */
export type Expecting = "rsa" | "hmac";

const html = { parse_mode: "HTML" } as const;
const RESTARTS = new Set(["connect", "rotate", "start"]);

/**
 * Waits until the follower has sent what a key check needs. Every message at these steps is
 * deleted before anything else is done with it, even one that turns out malformed: a
 * mistyped secret is still most of a secret. `first` is a message that already arrived
 * (pasted instead of choosing a way).
 */
export async function receiveKey(conversation: BotConversation, shredder: Shredder, expecting: Expecting, first?: Context): Promise<KeySource> {
  let apiKey: string | null = null;
  let next: Context | undefined = first;
  for (;;) {
    // Edits and stale buttons go on to the handlers after the flow (which delete and explain).
    const ctx = next ?? (await conversation.waitFor("message", { next: true }));
    next = undefined;
    const message = ctx.message!;
    const command = /^\/(\w+)/.exec(message.text ?? "")?.[1];
    // Starting over is what a follower means by these: the flow ends, and the command runs afresh.
    if (command && RESTARTS.has(command)) await conversation.halt({ next: true });
    if (command) {
      await ctx.reply(texts.commandDuringFlow);
      continue;
    }
    const address = { chatId: message.chat.id, messageId: message.message_id };
    const shredding = await conversation.external(() => shredder.shred(address));
    if (!shredding.deleted) await ctx.reply(texts.deleteItYourself(shredding.reason));
    const text = message.text ?? message.caption;
    if (text === undefined) {
      await ctx.reply(texts.textOnly);
      continue;
    }

    const parsed = parseCredentialText(text);
    if (parsed.kind === "pair") return { type: "hmac", credentials: { apiKey: parsed.apiKey, apiSecret: parsed.apiSecret } };
    if (expecting === "rsa" && parsed.kind === "key") return { type: "rsa", apiKey: parsed.apiKey };
    if (expecting === "hmac" && apiKey !== null && parsed.kind === "secret") {
      return { type: "hmac", credentials: { apiKey, apiSecret: parsed.apiSecret } };
    }
    if (expecting === "hmac" && parsed.kind === "key") {
      // A second key is a correction: the latest one counts.
      await ctx.reply(apiKey === null ? texts.askSecret : texts.keyReplaced, html);
      apiKey = parsed.apiKey;
      continue;
    }
    await ctx.reply(hint(parsed, expecting, apiKey !== null), html);
  }
}

/** Says what the message looked like and what to send instead; never repeats any of it. */
function hint(parsed: CredentialText, expecting: Expecting, haveKey: boolean): string {
  switch (parsed.kind) {
    case "private-key":
      // Taken before any flow sees it (intake/private-keys.ts); this answer only keeps the switch whole.
      return texts.privateKeyPasted;
    case "public-key":
      return expecting === "rsa" ? texts.publicKeySentBack : texts.publicKeyWithoutPair;
    case "sentence":
      return haveKey ? texts.sentenceInsteadOfSecret : texts.sentenceInsteadOfKey;
    case "secret":
      return expecting === "rsa" ? texts.secretWhileWaitingForRsaKey : texts.secretFirst;
    default:
      return haveKey ? texts.notASecret : texts.notAKey;
  }
}
