import { createConversation } from "@grammyjs/conversations";
import { Composer, InlineKeyboard, type Context } from "grammy";
import { parseCredentialText } from "../../../policy/credential-format.js";
import { FLOW_LIFETIME_SECONDS, WRONG_INPUTS_PER_STEP } from "../../../policy/flows.js";
import type { ChecksUnderWay } from "../../../vault/checks.js";
import type { CredentialRecord } from "../../../vault/credential-store.js";
import type { BotContext, BotConversation } from "../../context.js";
import type { NextStep } from "../../copy/connect.js";
import type { Shredder } from "../../intake/shredder.js";
import { texts } from "../../texts.js";
import { admit, type Admission, type AdmitDeps } from "./admit.js";
import { receiveKey } from "./receive.js";

export interface ConnectDeps extends AdmitDeps {
  shredder: Shredder;
  /** Where a check is known to be under way, so that one cut short by a crash is noticed (interrupted.ts). */
  checksUnderWay: ChecksUnderWay;
}

/** `connect` asks before replacing a working key; `rotate` is the same flow, worded for replacing one. */
export type ConnectMode = "connect" | "rotate";

/** How often a check under way says it is still running; three missed beats mean it was cut short. */
export const CHECK_BEAT_MS = 5000;

/** Each step waits this long for the follower; after that the flow is dropped as if it never started. */
const STEP_TIMEOUT_MS = 10 * 60_000;

const html = { parse_mode: "HTML" } as const;
const instructions = { ...html, link_preview_options: { is_disabled: true } } as const;

const FLOW_MINUTES = FLOW_LIFETIME_SECONDS / 60;
const MAKE_PAIR = "connect:make-pair";
const HAVE_SECRET = "connect:have-secret";

/** `/connect` (and `/start` without a key) in a private chat; `/cancel` leaves it at any step. */
export function connectFeature(deps: ConnectDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");

  // Before the conversation, so that it is heard at every step of it.
  dm.command("cancel", async (ctx) => {
    const wasConnecting = ctx.conversation.active("connect") > 0;
    await ctx.conversation.exitAll();
    await deps.pendingKeyPairs.discard(ctx.from.id);
    await ctx.reply(wasConnecting ? texts.cancelled : texts.nothingToCancel);
  });

  dm.use(createConversation(connectConversation(deps), { id: "connect", maxMillisecondsToWait: STEP_TIMEOUT_MS }));

  dm.command("connect", (ctx) => ctx.conversation.enter("connect", "connect" satisfies ConnectMode));
  dm.command("start", async (ctx) => {
    const record = await deps.credentials.current(ctx.from.id);
    if (record?.status === "active") return ctx.reply(texts.welcomeBack(record), html);
    await ctx.conversation.enter("connect", "connect" satisfies ConnectMode);
  });
  return feature;
}

function connectConversation(deps: ConnectDeps) {
  return async function connect(conversation: BotConversation, ctx: Context, requested: ConnectMode = "connect"): Promise<void> {
    const userId = ctx.from!.id;
    const [previous, panicEpoch] = await conversation.external(() => Promise.all([deps.credentials.current(userId), deps.credentials.panicEpoch(userId)]));
    // Rotating nothing (never connected, or the key was frozen by /panic) is connecting a new key.
    const mode = previous ? requested : "connect";
    let answer: Context | null = null;
    if (mode === "connect" && previous?.status === "active") {
      const replacement = await confirmReplacement(conversation, ctx, previous);
      if (!replacement.replace) return;
      answer = replacement.paste;
    }
    if (!answer) {
      const choices = new InlineKeyboard().text(texts.makePairButton, MAKE_PAIR).row().text(texts.haveSecretButton, HAVE_SECRET);
      const intro = mode === "rotate" ? texts.rotateIntro(previous!) : texts.connectIntro;
      await ctx.reply(`${intro}\n\n${texts.twoWays}`, { ...instructions, reply_markup: choices });
      answer = await chooseWay(conversation);
      if (!answer) return;
    }

    if (answer.callbackQuery?.data === MAKE_PAIR) {
      const publicKeyPem = await conversation.external(() => deps.pendingKeyPairs.issue(userId, deps.clock()));
      await ctx.reply(texts.publicKeySteps(publicKeyPem, deps.egressIps, FLOW_MINUTES), instructions);
    } else if (answer.callbackQuery) {
      await ctx.reply(texts.secretKeySteps(deps.egressIps), instructions);
    }
    let paste = answer.callbackQuery ? undefined : answer;
    const expecting = answer.callbackQuery?.data === MAKE_PAIR ? "rsa" : "hmac";
    for (let checks = 1; ; checks += 1) {
      const source = await receiveKey(conversation, deps.shredder, expecting, paste);
      paste = undefined;
      if (!source) return conversation.external(() => deps.pendingKeyPairs.discard(userId));
      // With our key pair still waiting, a refused key is fixed in Bybit and sent again, not started over.
      const next: NextStep = expecting === "rsa" ? "resend" : mode;
      const admission = await checkUnderWatch(conversation, ctx, deps, userId, () => admit(deps, userId, source, { previous, next, panicEpoch }), previous);
      const again = admission.outcome === "refused" && next === "resend";
      if (admission.outcome === "refused" && admission.held) checks -= 1;
      await ctx.reply(replyTo(admission, previous) + (again && checks >= WRONG_INPUTS_PER_STEP ? `\n\n${texts.tooManyTries}` : ""), html);
      if (!again) return;
      if (checks >= WRONG_INPUTS_PER_STEP) return conversation.external(() => deps.pendingKeyPairs.discard(userId));
    }
  };
}

/**
 * "Checking the key with Bybit…", then the check, recorded as under way from before the first
 * word and beating every few seconds while it runs (a slow Telegram or Bybit is not a crash): a
 * crash at any moment in between is noticed after the restart (interrupted.ts). Wall time, not
 * the domain clock: processes die in real time.
 */
async function checkUnderWatch(
  conversation: BotConversation,
  ctx: Context,
  deps: ConnectDeps,
  userId: number,
  check: () => Promise<Admission>,
  previous: CredentialRecord | null,
): Promise<Admission> {
  const previousRef = previous?.ref ?? null;
  await conversation.external(() => deps.checksUnderWay.begin(userId, previousRef, Date.now()));
  // Outside `external` on purpose: on a replay the check has ended, and a beat (ZADD XX) does nothing.
  const beating = setInterval(() => void deps.checksUnderWay.beat(userId, previousRef, Date.now()).catch(() => undefined), CHECK_BEAT_MS);
  try {
    await ctx.reply(texts.checking);
    return await conversation.external(check);
  } finally {
    clearInterval(beating);
    await conversation.external(() => deps.checksUnderWay.end(userId, previousRef));
  }
}

function replyTo(admission: Admission, previous: CredentialRecord | null): string {
  const kept = admission.outcome === "refused" && admission.current !== undefined ? admission.current : previous;
  const stays = kept?.status === "active" ? `\n\n${texts.existingStays(kept)}` : "";
  switch (admission.outcome) {
    case "refused":
      return admission.reply + stays;
    case "pair-expired":
      return texts.pairExpired(FLOW_MINUTES) + stays;
    case "save-failed":
      return texts.saveFailed;
    case "panicked":
      return texts.notStoredAfterPanic;
    case "connected":
      return [
        texts.connected(admission.record, admission.equityUsd, admission.warnings, admission.now),
        ...(admission.times ? [texts.reminderSchedule(admission.times, admission.now)] : []),
        ...(previous ? [texts.deleteOldKey(previous)] : []),
      ].join("\n\n");
  }
}

/** A tap on one of the two ways, or a paste: a follower who pastes a key is served at once; a question gets the buttons again. */
async function chooseWay(conversation: BotConversation): Promise<Context | null> {
  const answer = await waitForChoice(conversation, [MAKE_PAIR, HAVE_SECRET], texts.pickWay);
  if (answer?.callbackQuery) await answer.answerCallbackQuery();
  return answer;
}

/** Replace the connected key? A paste instead of a tap means yes, and is the start of the new key. */
async function confirmReplacement(conversation: BotConversation, ctx: Context, existing: CredentialRecord): Promise<{ replace: boolean; paste: Context | null }> {
  const keyboard = new InlineKeyboard().text(texts.replaceButton, "connect:replace").text(texts.keepButton, "connect:keep");
  await ctx.reply(texts.replaceExisting(existing), { ...html, reply_markup: keyboard });
  const answer = await waitForChoice(conversation, ["connect:replace", "connect:keep"], texts.pickAnswer);
  if (!answer) return { replace: false, paste: null };
  if (!answer.callbackQuery) return { replace: true, paste: answer };
  const replace = answer.callbackQuery.data === "connect:replace";
  await answer.answerCallbackQuery();
  await answer.editMessageText(replace ? texts.replacing : texts.keptExisting);
  return { replace, paste: null };
}

/**
 * Waits at a step with buttons for a tap on one of `choices`, or a paste (a message that looks
 * like a key). Other features' buttons (/forget's, say) pass on untouched and leave no trace in
 * the flow's state. Anything else is a wrong answer: a stale button is told it expired, a message
 * gets `hint`. Null after too many wrong answers (the follower is told).
 */
async function waitForChoice(conversation: BotConversation, choices: readonly string[], hint: string): Promise<Context | null> {
  for (let wrong = 1; ; wrong += 1) {
    const answer = await conversation.waitFor(["message", "callback_query:data"], { next: true });
    const data = answer.callbackQuery?.data;
    if (data !== undefined && !data.startsWith("connect:")) await conversation.skip({ next: true });
    if (data !== undefined ? choices.includes(data) : looksLikePaste(answer)) return answer;
    const over = wrong >= WRONG_INPUTS_PER_STEP;
    if (data !== undefined) await answer.answerCallbackQuery({ text: texts.buttonExpired });
    if (data === undefined || over) await answer.reply(over ? texts.tooManyTries : hint);
    if (over) return null;
  }
}

/** Anything but a sentence or a sticker: a key, a secret, both, key material, or a command (which receiveKey handles). */
function looksLikePaste(ctx: Context): boolean {
  const text = ctx.message?.text ?? ctx.message?.caption;
  if (text === undefined) return false;
  return text.startsWith("/") || !["sentence", "unrecognised"].includes(parseCredentialText(text).kind);
}
