import type { Context } from "grammy";
import { looksLikeChatter, parseCredentialText, type CredentialText } from "../../../policy/credential-format.js";
import { WRONG_INPUTS_PER_STEP } from "../../../policy/flows.js";
import type { BotConversation } from "../../context.js";
import type { MessageAddress } from "../../intake/carriers.js";
import type { Shredding } from "../../intake/shredder.js";
import { textsOf, type Texts } from "../../texts.js";
import type { KeySource } from "../../../use-cases/connect.js";
import { answerChatter, waitStep, withCancel, type ChoiceStep } from "./steps.js";

/**
 * What the flow waits for: `rsa` is only the API key of a key made from our public key;
 * `hmac` is a key and its secret, in two messages or one. Either way, a key and secret
 * pasted together are taken at once: the choice never stands between a follower and a
 * key they already hold.
 */
export type Expecting = "rsa" | "hmac";

const html = { parse_mode: "HTML" } as const;
const RESTARTS = new Set(["rotate"]);

/**
 * Waits until the follower has sent what a key check needs. Every message at these steps but a
 * command or plain chatter (a text message) is deleted before anything else is done with it, even
 * one that turns out malformed: a mistyped secret is still most of a secret. `first` is a message
 * that already arrived (pasted instead of choosing a way). Null: too many wrong answers, or too
 * much chatter; the follower has been told, and the flow ends.
 */
/** Shows a step, after what is known of the deletion of the message it answers, if any. */
export type Show = (text: string, other: Parameters<Context["reply"]>[1], shredding?: Shredding) => Promise<void>;

export interface KeyStep extends ChoiceStep {
  /** Shows a new step (the secret's), which /connect then shows again: without the word on the deletion, which was news once. */
  show: Show;
  /** The message that completed the key: answered once its check is under way (interrupted.ts tells of a crash then). */
  pasted?: MessageAddress;
}

export async function receiveKey(
  conversation: BotConversation,
  step: KeyStep,
  expecting: Expecting,
  first?: Context,
): Promise<KeySource | null> {
  let apiKey: string | null = null;
  let next: Context | undefined = first;
  let wrong = 0;
  for (;;) {
    // Edits and stale buttons go on to the handlers after the flow (which delete and explain).
    const ctx = next ?? (await waitStep(conversation, step, "message"));
    next = undefined;
    const texts = textsOf(ctx);
    const message = ctx.message!;
    const command = /^\/(\w+)/.exec(message.text ?? "")?.[1];
    // Starting over is what a follower means by these: the flow ends, and the command runs afresh.
    if (command && RESTARTS.has(command)) await conversation.halt({ next: true });
    // Plain words are judged only in a text message: a photo or file, whatever its caption says, is
    // most likely a screenshot of Bybit's key page, and goes like a paste.
    // Kept, and no wrong try: the bot's own answers advise /connect and /help (answerChatter).
    if (command || (message.text !== undefined && looksLikeChatter(message.text))) {
      const pointer = () =>
        ctx.reply(command === "help" ? texts.help : command ? texts.commandDuringFlow : texts.chatterInFlow, html);
      if (!(await answerChatter(step, ctx, pointer))) return null;
      continue;
    }
    const address = { chatId: message.chat.id, messageId: message.message_id };
    const shredding = await conversation.external(() => step.shredder.shred(address));
    const say = (answer: string) => ctx.reply(texts.withDeletionNote(shredding, answer), html);
    // A caption counts when it holds a key; otherwise a photo or file gets "send it as text".
    const caption =
      message.text === undefined && message.caption !== undefined ? parseCredentialText(message.caption) : null;
    const parsed =
      message.text !== undefined
        ? parseCredentialText(message.text)
        : caption && !["sentence", "unrecognised"].includes(caption.kind)
          ? caption
          : null;
    const source = parsed && complete(parsed, expecting, apiKey);
    if (source) {
      step.pasted = address;
      // The check's own messages follow; only a deletion still under way is worth a word first.
      if (shredding === "still-trying") await say("");
      return source;
    }
    // A second key is a correction: the latest one counts, though a correction too many ends the flow too.
    if (apiKey !== null || !(parsed && expecting === "hmac" && parsed.kind === "key")) wrong += 1;
    if (wrong >= WRONG_INPUTS_PER_STEP) {
      await say(texts.tooManyTries);
      return null;
    }
    if (parsed && expecting === "hmac" && parsed.kind === "key") {
      await step.show(
        apiKey === null ? texts.askSecret : texts.keyReplaced,
        { ...html, reply_markup: withCancel(ctx, step.flowId) },
        shredding,
      );
      apiKey = parsed.apiKey;
      continue;
    }
    await say(parsed ? hint(texts, parsed, expecting, apiKey !== null) : texts.textOnly);
  }
}

/** What the check needs, once the follower has sent all of it. */
function complete(parsed: CredentialText, expecting: Expecting, apiKey: string | null): KeySource | null {
  if (parsed.kind === "pair")
    return { type: "hmac", credentials: { apiKey: parsed.apiKey, apiSecret: parsed.apiSecret } };
  if (expecting === "rsa" && parsed.kind === "key") return { type: "rsa", apiKey: parsed.apiKey };
  if (expecting === "hmac" && apiKey !== null && parsed.kind === "secret")
    return { type: "hmac", credentials: { apiKey, apiSecret: parsed.apiSecret } };
  return null;
}

/** Says what the message looked like and what to send instead; never repeats any of it. */
function hint(texts: Texts, parsed: CredentialText, expecting: Expecting, haveKey: boolean): string {
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
