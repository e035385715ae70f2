import { Composer, InlineKeyboard, type Context } from "grammy";
import type { Exchanges } from "../../../exchange/registry.js";
import type { Reminders } from "../../../reminders/schedule.js";
import type { SharedKeys } from "../../../key-watch/shared-keys.js";
import type { Metrics } from "../../../metrics/metrics.js";
import type { CredentialRecord } from "../../../stores/credential-store.js";
import type { KeyDenylist } from "../../../stores/denylist.js";
import type { PendingKeyPairs } from "../../../stores/key-pairs.js";
import type { PanicStepsOwed } from "../../../stores/panic-steps.js";
import type { PanicFlow } from "../../../stores/panic-store.js";
import { freezeKey, freezeTooPress, panic, type FreezeOutcome } from "../../../use-cases/panic.js";
import { forgetFlow, verifyRevocation } from "../../../use-cases/revocation.js";
import type { BotContext } from "../../context.js";
import { ROTATE_NOW_PRESS } from "../../key-buttons.js";
import { textsOf } from "../../texts.js";
import { revokeKeyboard, STEPS_BEAT_MS } from "./resend-steps.js";
import { createFreezeRetries } from "./freeze-retries.js";
import { whileBeating } from "../../beating.js";
import { tellEnding } from "./review.js";
import { createSnapshots, type SnapshotDeps } from "./snapshots.js";
import { KEEP_IT, panicQuestions } from "./questions.js";
import type { PanicActs } from "./elsewhere.js";

export interface PanicDeps extends SnapshotDeps {
  /** Each key's revocation is checked with its exchange: a few checks a minute per follower (budgets are shared). */
  exchanges: Pick<Exchanges, "of" | "followerCheck">;
  denylist: KeyDenylist;
  /** Takes the frozen key out of every other follower's slot that holds it too. */
  sharedKeys: SharedKeys;
  pendingKeyPairs: PendingKeyPairs;
  reminders: Reminders;
  metrics: Metrics;
  /** Steps owed until Telegram took them: a restart in between has them sent again (resend-steps.ts). */
  panicSteps: PanicStepsOwed;
  /** How often steps going out beat (default STEPS_BEAT_MS; shorter in tests). */
  recoveryBeatMs?: number;
}

const html = { parse_mode: "HTML" } as const;
const steps = { ...html, link_preview_options: { is_disabled: true } } as const;
const FREEZE_TOO = "panic:freeze";

const revokeButtons = (ctx: Context, ref: string): InlineKeyboard => revokeKeyboard(textsOf(ctx), ref);

export const isPanic = (ctx: BotContext) =>
  ctx.hasCommand("panic") || (ctx.hasCommand("start") && ctx.match === "panic");

/**
 * `/panic`: revoke first, investigate second. The key is frozen (out of the follower's slot, its
 * reminders gone, its Bybit id denied for good) and the revoke steps are on screen before Bybit
 * is asked anything; the account snapshot runs alongside and reports on its own. The follower
 * deletes the key in Bybit; the bot believes it only once Bybit refuses the key, then purges
 * everything secret and goes through what stays open. A second /panic continues the open flow.
 * What to do, and what became of it, is the use cases' (use-cases/panic.ts, revocation.ts); this is
 * the chat's part: the urgent lane, the replies and buttons, the freeze retries and the snapshots.
 *
 * Two parts. `urgent` runs ahead of the chat's queue, so that /panic never waits behind an
 * update of the same chat (a key check can take Bybit's full timeout); it counts the /panic,
 * so that a key under check is not stored after it. `flow` runs in the queue, after the
 * conversations: it ends any flow under way, and handles the buttons and the frozen notices.
 */
export function createPanic(deps: PanicDeps): {
  urgent: Composer<BotContext>;
  flow: Composer<BotContext>;
  acts: PanicActs;
} {
  const snapshots = createSnapshots(deps);

  const retries = createFreezeRetries<{ ctx: Context; record: CredentialRecord }>({
    attempt: async ({ ctx, record }) => tell(ctx, record, await freezeKey(deps, record, { retry: true }), true),
    gaveUp: async ({ ctx, record }) => void (await ctx.reply(textsOf(ctx).panicGaveUp(record), steps)),
  });

  /** Freezes `record` (use-cases/panic.ts) and says what became of it. */
  const freeze = async (ctx: Context, record: CredentialRecord) => tell(ctx, record, await freezeKey(deps, record));

  /** True once settled; false when Redis refused the freeze (then it is tried again in the background). */
  async function tell(
    ctx: Context,
    record: CredentialRecord,
    outcome: FreezeOutcome,
    retrying = false,
  ): Promise<boolean> {
    const texts = textsOf(ctx);
    switch (outcome.kind) {
      case "frozen":
        await showSteps(ctx, outcome.flow, outcome.housekeeping);
        return true;
      case "raced":
        if (outcome.flow)
          await ctx.reply(texts.revokeSteps(outcome.flow.record), {
            ...steps,
            reply_markup: revokeButtons(ctx, record.ref),
          });
        else await ctx.reply(texts.panicRaced);
        return true;
      case "not-frozen":
        if (retrying) return false;
        // Redis refused the freeze: deleting the key in Bybit stops it for good; we follow in the background.
        await ctx.reply(texts.panicNotFrozen(record), steps).catch(() => undefined);
        retries.keep(record.ref, { ctx, record });
        return false;
      case "gone":
        return true;
    }
  }

  /**
   * The steps of a key just frozen, owed until Telegram took them (beating meanwhile); they do not wait
   * for the housekeeping (the key is out of service already). The snapshot waits for both.
   */
  async function showSteps(ctx: Context, flow: PanicFlow, housekeeping: Promise<void>): Promise<void> {
    const texts = textsOf(ctx);
    const owed = { userId: flow.record.userId, ref: flow.record.ref };
    const stepsShown = (async () => {
      const beat = () => deps.panicSteps.beat(owed, Date.now());
      await whileBeating(beat, deps.recoveryBeatMs ?? STEPS_BEAT_MS, async () => {
        await ctx.reply(texts.panicFrozen(flow.record), html);
        await ctx.reply(texts.revokeSteps(flow.record), {
          ...steps,
          reply_markup: revokeButtons(ctx, flow.record.ref),
        });
      });
      await deps.panicSteps.sent(owed);
    })();
    snapshots.start(ctx, flow, Promise.all([stepsShown, housekeeping]));
    await Promise.all([stepsShown, housekeeping]);
  }

  /** Freezes the current key, or shows the open flows again; never waits on Bybit. */
  async function panicNow(ctx: Context & { from: { id: number } }): Promise<void> {
    const texts = textsOf(ctx);
    const userId = ctx.from.id;
    const start = await panic(deps, userId);
    if (start.kind === "no-key") await ctx.reply(texts.panicNoKey, html);
    // One flow per key: an open one goes on where it was, snapshot and all. A snapshot still pending
    // and not under way here was cut short (a restart): it is taken now, while the key may still read.
    for (const flow of start.open) {
      await ctx.reply(texts.revokeSteps(flow.record), { ...steps, reply_markup: revokeButtons(ctx, flow.record.ref) });
      await deps.panicSteps.sent({ userId, ref: flow.record.ref });
      if (flow.snapshot.state === "pending" && !snapshots.running(flow.record.ref)) snapshots.start(ctx, flow);
    }
    if (start.kind === "newer-key") {
      await ctx.reply(texts.freezeTooQuestion(start.current), {
        ...html,
        reply_markup: new InlineKeyboard()
          .text(texts.freezeTooButton, `${FREEZE_TOO}:${start.current.ref}`)
          .text(texts.freezeTooKeepButton, `${KEEP_IT}:${start.current.ref}`),
      });
    } else if (start.kind === "freeze") {
      await freeze(ctx, start.current);
    }
  }

  const urgent = new Composer<BotContext>();
  // The update also goes on into the chat's queue at once, keeping its place there: behind
  // whatever came before it, where any flow under way is ended, and ahead of what comes after.
  urgent
    .chatType("private")
    .use((ctx, next) => (isPanic(ctx) ? Promise.all([panicNow(ctx), next()]).then(() => undefined) : next()));

  const flow = new Composer<BotContext>();
  const dm = flow.chatType("private");
  dm.use(async (ctx, next) => {
    if (!isPanic(ctx)) return next();
    // Whatever was under way ends here, a key pair waiting for its API key included.
    await Promise.all([ctx.conversation.exitAll(), deps.pendingKeyPairs.discard(ctx.from.id)]);
  });

  // While a key is frozen, everything about keys says so first, with the buttons. With only a
  // frozen key there is nothing else to show or disconnect; connecting a new one is welcome.
  const frozenFirst =
    (withoutCurrentKey: "go-on" | "stop") =>
    async (ctx: BotContext & { from: { id: number } }, next: () => Promise<void>) => {
      const open = await deps.panics.open(ctx.from.id);
      for (const frozen of open)
        await ctx.reply(textsOf(ctx).frozenNotice(frozen.record), {
          ...html,
          reply_markup: revokeButtons(ctx, frozen.record.ref),
        });
      if (open.length === 0 || withoutCurrentKey === "go-on" || (await deps.credentials.current(ctx.from.id)))
        await next();
    };
  dm.command(["connect", "rotate", "start"], frozenFirst("go-on"));
  dm.callbackQuery(ROTATE_NOW_PRESS, frozenFirst("go-on"));
  dm.command(["status", "disconnect"], frozenFirst("stop"));
  dm.command("cancel", async (ctx, next) => {
    const open = ctx.conversation.active("connect") > 0 ? [] : await deps.panics.open(ctx.from.id);
    if (open.length === 0) return next();
    for (const frozen of open)
      await ctx.reply(textsOf(ctx).panicCannotBeCancelled(frozen.record), {
        ...html,
        reply_markup: revokeButtons(ctx, frozen.record.ref),
      });
  });

  dm.callbackQuery(new RegExp(`^${FREEZE_TOO}:([\\w-]+)$`), async (ctx) => {
    const pressed = await freezeTooPress(deps, ctx.from.id, ctx.match[1]!);
    if (pressed.kind === "expired") return ctx.answerCallbackQuery({ text: textsOf(ctx).buttonExpired });
    await ctx.answerCallbackQuery();
    await freeze(ctx, pressed.current);
  });

  dm.use(panicQuestions(deps));

  dm.callbackQuery(/^panic:(deleted|forget-yes):([\w-]+)$/, async (ctx) => {
    const texts = textsOf(ctx);
    const userId = ctx.from.id;
    const ref = ctx.match[2]!;
    if (ctx.match[1] === "forget-yes") {
      const ending = await forgetFlow(deps, userId, ref);
      if (ending.kind === "flow-gone") return ctx.answerCallbackQuery({ text: texts.buttonExpired });
      // The flow has ended: a press answered too late (refused, and logged by the send path) must not
      // keep the follower from hearing so.
      await ctx.answerCallbackQuery().catch(() => undefined);
      return tellEnding(ctx, deps, ending);
    }

    // Answered once, as soon as there is something to say (a flow that ended answers "expired" instead). The
    // answer only stops the button's spinner: one refused (too late, logged by the send path) stops nothing.
    let answered: Promise<unknown> | undefined;
    const answer = () => (answered ??= ctx.answerCallbackQuery().catch(() => undefined));

    const verified = await verifyRevocation(deps, userId, ref, {
      checking: async () => {
        await answer();
        await ctx.reply(texts.checkingRevocation);
      },
      // Dead: the review wants the snapshot, if one is still under way here.
      beforeEnding: () => snapshots.running(ref),
    });
    if (verified.kind === "flow-gone") return ctx.answerCallbackQuery({ text: texts.buttonExpired });
    await answer();
    switch (verified.kind) {
      case "cannot-check":
        return ctx.reply(texts.cannotCheck(verified.flow.record), { ...html, reply_markup: revokeButtons(ctx, ref) });
      case "wait":
        return ctx.reply(texts.checkAgainIn(verified.seconds), { ...html, reply_markup: revokeButtons(ctx, ref) });
      case "verify-failed":
        return ctx.reply(texts.verifyFailed, { ...html, reply_markup: revokeButtons(ctx, ref) });
      case "still-active":
        await ctx.reply(texts.stillActive(verified.flow.record), html);
        return ctx.reply(texts.revokeSteps(verified.flow.record), { ...steps, reply_markup: revokeButtons(ctx, ref) });
      case "revoked":
        return tellEnding(ctx, deps, verified.ending);
    }
  });

  const acts: PanicActs = {
    now: (ctx) => panicNow(ctx),
    async freezeToo(ctx, ref) {
      const pressed = await freezeTooPress(deps, ctx.from.id, ref);
      if (pressed.kind === "expired") await ctx.reply(textsOf(ctx).buttonExpired);
      else await freeze(ctx, pressed.current);
    },
  };
  return { urgent, flow, acts };
}
