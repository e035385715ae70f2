import { InlineKeyboard, type Context } from "grammy";
import type { Filter, FilterQuery } from "grammy";
import { looksLikeChatter, parseCredentialText } from "../../../policy/credential-format.js";
import { CHATTER_PER_FLOW, FLOW_LIFETIME_SECONDS, WRONG_INPUTS_PER_STEP } from "../../../policy/flows.js";
import type { BotConversation } from "../../context.js";
import type { Shredder } from "../../intake/shredder.js";
import { textsOf } from "../../texts.js";

/** Each step waits this long for the follower (on the injected clock); after that the flow ends and says so. */
export const STEP_TIMEOUT_MS = 10 * 60_000;
/**
 * …but the step that waits for the API key made from our public key waits as long as the key
 * pair lives: the follower has just made a key in Bybit that no other pair can use.
 */
export const PUBLIC_KEY_STEP_TIMEOUT_MS = FLOW_LIFETIME_SECONDS * 1000;

/**
 * The one "Cancel" button on each step message, heard by the flow at every step. Its data names
 * the flow, so that an older flow's button (still on the screen) does not cancel the current one:
 * it has expired, like any other button of a flow that ended.
 */
const cancelData = (flowId: string) => `connect:cancel:${flowId}`;
export const withCancel = (ctx: Context, flowId: string, keyboard = new InlineKeyboard()) =>
  (keyboard.inline_keyboard.length > 0 ? keyboard.row() : keyboard).text(textsOf(ctx).cancelButton, cancelData(flowId));

/** Where a flow stands in time: its last moment of activity, read from the injected clock before each step's words go out. */
export interface StepClock {
  clock: () => number;
  since: number;
  /** Our public key has been shown: the flow now waits for a key made from it (PUBLIC_KEY_STEP_TIMEOUT_MS). */
  publicKeyOut: boolean;
  /** The flow expired at this step: what goes with it. */
  expired: () => Promise<unknown>;
  /** Names the flow in its Cancel button. */
  flowId: string;
  /** The flow's own Cancel button was pressed: the follower hears what stays, and the flow ends. */
  cancel: (pressed: Context) => Promise<unknown>;
}

/**
 * Waits at a step. An answer that comes STEP_TIMEOUT_MS (PUBLIC_KEY_STEP_TIMEOUT_MS once our
 * public key is out) after the flow's last activity ends the flow (`expired` runs first) and goes
 * on to the handlers after it, marked, so that the follower hears the flow had expired and what
 * to do (with a public key out: delete the key made from it), with what they sent handled as
 * anywhere else (a key deleted). The moment of activity is taken before the bot speaks, not
 * after: a follower may answer before the bot's own send has returned.
 */
export async function waitStep<Q extends FilterQuery>(
  conversation: BotConversation,
  step: StepClock,
  query: Q | Q[],
): Promise<Filter<Context, Q>> {
  const queries: FilterQuery[] = [query].flat();
  const answer = await conversation.waitFor([...queries, "callback_query:data"], { next: true });
  // The flow's own Cancel, even late; any other button this step does not wait for goes on to the handlers after the flow.
  if (answer.callbackQuery?.data === cancelData(step.flowId)) {
    await step.cancel(answer);
    await conversation.halt();
  }
  if (!answer.has(queries)) await conversation.skip({ next: true });
  const now = await conversation.external(() => step.clock());
  const timeoutMs = step.publicKeyOut ? PUBLIC_KEY_STEP_TIMEOUT_MS : STEP_TIMEOUT_MS;
  if (now - step.since >= timeoutMs) {
    await conversation.external(async (outside) => {
      await step.expired();
      outside.flowExpired = { minutes: timeoutMs / 60_000, publicKeyOut: step.publicKeyOut };
    });
    await conversation.halt({ next: true });
  }
  step.since = now;
  return answer as Filter<Context, Q>;
}

/** A step with buttons: shown again on /connect, and deleting what should not stay in the chat. */
export interface ChoiceStep extends StepClock {
  repeat: () => Promise<unknown>;
  /** The messages this flow sent: a choice pressed on any other message (an older flow's) has expired. */
  ours: readonly number[];
  shredder: Shredder;
  /** Messages kept and answered with a pointer so far in the flow (CHATTER_PER_FLOW). */
  chatter: number;
}

/**
 * Chatter, a command or /connect: shown the step again or pointed back to it, and counted
 * against CHATTER_PER_FLOW, not as a wrong try. False once the flow has had too many (the
 * follower is told, and the flow ends).
 */
export async function answerChatter(step: ChoiceStep, ctx: Context, pointer: () => Promise<unknown>): Promise<boolean> {
  step.chatter += 1;
  if (step.chatter > CHATTER_PER_FLOW) {
    await ctx.reply(textsOf(ctx).tooMuchChatter);
    return false;
  }
  await (isRepeat(ctx) ? step.repeat() : pointer());
  return true;
}

/**
 * Waits at a step with buttons for a tap on one of `choices`, or a paste (a message that looks
 * like a key). Other features' buttons (/forget's, say) pass on untouched and leave no trace in
 * the flow's state. /connect and /start show the step again, and plain chatter gets `hint`
 * (answerChatter). Anything else is a wrong answer: a stale button is told it expired, a message
 * is deleted (a photo, most likely of Bybit's key page, or a key split in two) and gets `hint`.
 * Null after too many wrong answers or too much chatter (the follower is told).
 */
export async function waitForChoice(
  conversation: BotConversation,
  step: ChoiceStep,
  choices: readonly string[],
  hint: (ctx: Context) => string,
): Promise<Context | null> {
  let wrong = 0;
  for (;;) {
    const answer = await waitStep(conversation, step, ["message", "callback_query:data"]);
    const data = answer.callbackQuery?.data;
    if (data !== undefined && !data.startsWith("connect:")) await conversation.skip({ next: true });
    const ourButton = data !== undefined && ours(step, answer) && choices.includes(data);
    if (data !== undefined ? ourButton : looksLikePaste(answer)) return answer;
    const message = answer.message;
    if (message && (isRepeat(answer) || isChatter(answer))) {
      if (!(await answerChatter(step, answer, () => answer.reply(hint(answer))))) return null;
      continue;
    }
    wrong += 1;
    const over = wrong >= WRONG_INPUTS_PER_STEP;
    const texts = textsOf(answer);
    if (message) {
      const shredding = await conversation.external(() =>
        step.shredder.shred({ chatId: message.chat.id, messageId: message.message_id }),
      );
      await answer.reply(texts.withDeletionNote(shredding, over ? texts.tooManyTries : hint(answer)));
    } else {
      await answer.answerCallbackQuery({ text: texts.buttonExpired });
      if (over) await answer.reply(texts.tooManyTries);
    }
    if (over) return null;
  }
}

/** Whether the button pressed is on a message of this flow (the choices carry no flow of their own). */
const ours = (step: ChoiceStep, ctx: Context) => step.ours.includes(ctx.callbackQuery?.message?.message_id ?? -1);

/** /connect and /start during a flow: the follower lost the thread, so the step is shown again. */
export const isRepeat = (ctx: Context) => /^\/(connect|start)(?:@\w+)?(?:\s|$)/.test(ctx.message?.text ?? "");

/** Words worth keeping in the chat at a step with buttons: a text message read as a sentence, and cased and worded as chatter. */
function isChatter(ctx: Context): boolean {
  const text = ctx.message?.text;
  return text !== undefined && parseCredentialText(text).kind === "sentence" && looksLikeChatter(text);
}

/** Anything but a sentence or a sticker: a key, a secret, both, key material, or a command (which receiveKey handles). */
function looksLikePaste(ctx: Context): boolean {
  const text = ctx.message?.text ?? ctx.message?.caption;
  if (text === undefined || isRepeat(ctx)) return false;
  return text.startsWith("/") || !["sentence", "unrecognised"].includes(parseCredentialText(text).kind);
}
