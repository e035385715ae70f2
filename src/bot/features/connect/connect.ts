import { randomUUID } from "node:crypto";
import { createConversation } from "@grammyjs/conversations";
import { Composer, InlineKeyboard, type Context } from "grammy";
import { DEFAULT_EXCHANGE, profileOf } from "../../../exchange/registry.js";
import { FLOW_LIFETIME_SECONDS, WRONG_INPUTS_PER_STEP } from "../../../policy/flows.js";
import type { ChecksUnderWay } from "../../../stores/checks.js";
import type { CredentialRecord } from "../../../stores/credential-store.js";
import type { WebTickets } from "../../../stores/web-tickets.js";
import type { BotContext, BotConversation } from "../../context.js";
import { API_MANAGEMENT_URL, suggestedKeyName, type NextStep } from "../../wording/connect.js";
import { placeOf } from "../../wording/sites.js";
import type { MessageAddress } from "../../intake/carriers.js";
import type { Shredder } from "../../intake/shredder.js";
import { textsOf, type Texts } from "../../texts.js";
import { admit, type AdmitDeps } from "../../../use-cases/connect.js";
import { replyTo } from "./render.js";
import { checkUnderWatch } from "./check-under-watch.js";
export { CHECK_BEAT_MS } from "./check-under-watch.js";
import type { CutShortChecks } from "./cut-short.js";
import { receiveKey, type Show } from "./receive.js";
import { waitForChoice, withCancel } from "./steps.js";
import { cancelled, endApproval, leavingFlow } from "./leaving.js";
import { offerWays, type WayOffer } from "../../web/offer-ways.js";

export interface ConnectDeps extends AdmitDeps {
  shredder: Shredder;
  /** Where a check is known to be under way, so that one cut short by a crash is noticed (interrupted.ts). */
  checksUnderWay: ChecksUnderWay;
  /** Where a check cut short by a Redis fault waits until the follower can be told what became of it. */
  cutShort: CutShortChecks;
  /** COPY_START_TEXT: when copying starts, in the service's own words (else the locale's default). */
  copyStartText: string | null;
  /** How often a check under way beats (default CHECK_BEAT_MS; shorter in tests). */
  recoveryBeatMs?: number;
  /** Ways of connecting offered above the chat's own (Connect with Bybit, the Mini App), where configured. */
  moreWays?: WayOffer[];
  /** The web tickets of the flow: leaving it ends the follower's "Connect with Bybit" approval under way. */
  webTickets?: Pick<WebTickets, "revoke">;
}

/** `connect` asks before replacing a working key; `rotate` is the same flow, worded for replacing one. */
export type ConnectMode = "connect" | "rotate";

const html = { parse_mode: "HTML" } as const;
const instructions = { ...html, link_preview_options: { is_disabled: true } } as const;

const FLOW_MINUTES = FLOW_LIFETIME_SECONDS / 60;
const MAKE_PAIR = "connect:make-pair";
const HAVE_SECRET = "connect:have-secret";

/** `/connect` in a private chat; `/cancel`, or the Cancel button, leaves it at any step. */
export function connectFeature(deps: ConnectDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");

  dm.use(leavingFlow(deps));
  dm.use(createConversation(connectConversation(deps), { id: "connect" }));

  dm.command("connect", async (ctx, next) => {
    // `/connect tr`: the follower names their Bybit site, and the key is checked there alone.
    const named = ctx.match.trim().toLowerCase();
    if (!named) return ctx.conversation.enter("connect", "connect" satisfies ConnectMode);
    // A key pasted after the command names no site: it is being deleted, and is never repeated (the fallback says so).
    if (ctx.shredding) return next();
    const texts = textsOf(ctx);
    const site = profileOf(DEFAULT_EXCHANGE).sites.find((entry) => entry.id === named);
    if (!site) return ctx.reply(texts.unknownSite(named.slice(0, 20), profileOf(DEFAULT_EXCHANGE).sites), html);
    if (site.refused)
      return ctx.reply(
        texts.exchangeFailure(
          "unsupported-site",
          "hmac",
          "connect",
          placeOf({ exchange: DEFAULT_EXCHANGE, site: site.id }),
        ),
        html,
      );
    await ctx.conversation.enter("connect", "connect" satisfies ConnectMode, site.id);
  });
  return feature;
}

/** "Open Bybit API Management": the follower's site's page, or the main site's. */
const openBybit = (texts: Texts, url = API_MANAGEMENT_URL) => new InlineKeyboard().url(texts.openApiManagement, url);

function connectConversation(deps: ConnectDeps) {
  return async function connect(
    conversation: BotConversation,
    ctx: Context,
    requested: ConnectMode = "connect",
    site?: string,
  ): Promise<void> {
    const userId = ctx.from!.id;
    const texts = textsOf(ctx);
    const [previous, panicEpoch, now, flowId] = await conversation.external(() =>
      Promise.all([
        deps.credentials.current(userId),
        deps.credentials.panicEpoch(userId),
        deps.clock(),
        randomUUID().slice(0, 8),
      ]),
    );
    // The step on screen, shown again on /connect; an expired step drops the key pair with the flow.
    let current: { text: string; other: Parameters<Context["reply"]>[1] } = { text: "", other: {} };
    // Our public key, in its own message: shown again before its steps.
    let keyAlone: string | null = null;
    // The messages this flow sent: only their buttons answer its steps (an older flow's stay on screen).
    const ours: number[] = [];
    const show: Show = async (text, other, shredding) => {
      current = { text, other };
      const sent = await ctx.reply(shredding === undefined ? text : texts.withDeletionNote(shredding, text), other);
      ours.push(sent.message_id);
    };
    const step = {
      clock: deps.clock,
      since: now,
      publicKeyOut: false,
      expired: () => deps.pendingKeyPairs.discard(userId),
      flowId,
      cancel: async (pressed: Context) => {
        await pressed.answerCallbackQuery();
        // The pressed step's buttons go with the flow.
        await pressed.editMessageReplyMarkup().catch(() => undefined);
        const current = await conversation.external(async () => {
          await deps.pendingKeyPairs.discard(userId);
          await endApproval(deps, userId);
          return deps.credentials.current(userId);
        });
        await pressed.reply(cancelled(texts, current), html);
      },
      shredder: deps.shredder,
      pasted: undefined as MessageAddress | undefined,
      chatter: 0,
      ours,
      repeat: async () => {
        if (keyAlone !== null) await ctx.reply(keyAlone, instructions);
        const again = await ctx.reply(`${texts.stepAgain}\n\n${current.text}`, current.other);
        ours.push(again.message_id);
      },
    };
    // Rotating nothing (never connected, or the key was frozen by /panic) is connecting a new key.
    const mode = previous ? requested : "connect";
    let answer: Context | null = null;
    if (mode === "connect" && previous?.status === "active") {
      const replacement = await confirmReplacement(conversation, ctx, previous, step, show);
      if (!replacement.replace) return;
      answer = replacement.paste;
    }
    if (!answer) {
      const offer = { userId, chatId: ctx.chat!.id, languageCode: ctx.from?.language_code ?? null, mode, panicEpoch };
      const others = await conversation.external(() =>
        offerWays(deps.moreWays ?? [], { ...offer, ...(site ? { site } : {}) }, texts, deps.logger),
      );
      const choices = InlineKeyboard.from(others.map((button) => [button]))
        .row()
        .text(texts.makePairButton, MAKE_PAIR)
        .row()
        .text(texts.haveSecretButton, HAVE_SECRET);
      const intro = mode === "rotate" ? texts.rotateIntro(previous!) : texts.connectIntro;
      await show(`${intro}\n\n${texts.twoWays}`, { ...instructions, reply_markup: withCancel(ctx, flowId, choices) });
      answer = await waitForChoice(conversation, step, [MAKE_PAIR, HAVE_SECRET], (asked) => textsOf(asked).pickWay);
      if (answer?.callbackQuery) await answer.answerCallbackQuery();
      if (!answer) return;
    }

    const keyName = suggestedKeyName(now);
    // Where the key is made: the site named, else the site of the key it replaces (a Turkish key's is Turkey's page).
    const place = site ? placeOf({ exchange: DEFAULT_EXCHANGE, site }) : previous ? placeOf(previous) : null;
    const makeAt = place?.apiManagementUrl;
    if (answer.callbackQuery?.data === MAKE_PAIR) {
      const issued = await conversation.external(() => deps.pendingKeyPairs.issue(userId, deps.clock()));
      // Several pairs made for this follower in the last minutes: the flow ends with when to come back.
      if ("retryInMs" in issued)
        return void (await ctx.reply(texts.pairsPaused(Math.ceil(issued.retryInMs / 60_000)), html));
      step.publicKeyOut = true;
      // The key alone (tap to copy), then the steps with the way to Bybit's page.
      keyAlone = texts.publicKeyAlone(issued.publicKeyPem);
      await ctx.reply(keyAlone, instructions);
      await show(texts.publicKeySteps(deps.egressIps, FLOW_MINUTES, keyName, makeAt), {
        ...instructions,
        reply_markup: withCancel(ctx, flowId, openBybit(texts, makeAt)),
      });
    } else if (answer.callbackQuery) {
      await show(texts.secretKeySteps(deps.egressIps, keyName, makeAt), {
        ...instructions,
        reply_markup: withCancel(ctx, flowId, openBybit(texts, makeAt)),
      });
    }
    let paste = answer.callbackQuery ? undefined : answer;
    const expecting = answer.callbackQuery?.data === MAKE_PAIR ? "rsa" : "hmac";
    for (let checks = 1; ; checks += 1) {
      const source = await receiveKey(conversation, Object.assign(step, { show }), expecting, paste);
      paste = undefined;
      if (!source) return conversation.external(() => deps.pendingKeyPairs.discard(userId));
      // A refused key is fixed in Bybit and sent again in the same flow, not started over.
      const next: NextStep = expecting === "rsa" ? "resend" : "resend-hmac";
      const pasted = step.pasted;
      const check = () => admit(deps, userId, source, { previous, panicEpoch, ...(site ? { site } : {}) });
      const admission = await checkUnderWatch(conversation, ctx, deps, userId, check, previous, pasted);
      // Cut short by a Redis fault: the follower hears the outcome once Redis is back (cut-short.ts).
      if (!admission) return;
      const again = admission.outcome === "refused";
      if (admission.outcome === "refused" && admission.held) checks -= 1;
      // The last try refused: the flow ends, and the next step is a new /connect (or /rotate).
      const last = again && checks >= WRONG_INPUTS_PER_STEP;
      await ctx.reply(
        replyTo(texts, deps, admission, previous, last ? mode : next) + (last ? `\n\n${texts.tooManyTries}` : ""),
        html,
      );
      if (!again) return;
      if (checks >= WRONG_INPUTS_PER_STEP) return conversation.external(() => deps.pendingKeyPairs.discard(userId));
    }
  };
}

/** Replace the connected key? A paste instead of a tap means yes, and is the start of the new key. */
async function confirmReplacement(
  conversation: BotConversation,
  ctx: Context,
  existing: CredentialRecord,
  step: Parameters<typeof waitForChoice>[1],
  show: Show,
): Promise<{ replace: boolean; paste: Context | null }> {
  const texts = textsOf(ctx);
  const keyboard = new InlineKeyboard()
    .text(texts.replaceButton, "connect:replace")
    .text(texts.keepButton, "connect:keep");
  await show(texts.replaceExisting(existing), { ...html, reply_markup: keyboard });
  const answer = await waitForChoice(
    conversation,
    step,
    ["connect:replace", "connect:keep"],
    (asked) => textsOf(asked).pickAnswer,
  );
  if (!answer) return { replace: false, paste: null };
  if (!answer.callbackQuery) return { replace: true, paste: answer };
  const replace = answer.callbackQuery.data === "connect:replace";
  await answer.answerCallbackQuery();
  await answer.editMessageText(replace ? texts.replacing : texts.keptExisting);
  return { replace, paste: null };
}
