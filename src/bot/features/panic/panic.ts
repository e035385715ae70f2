import { Composer, InlineKeyboard, type Context } from "grammy";
import type { Exchanges } from "../../../exchange/registry.js";
import type { Reminders } from "../../../reminders/schedule.js";
import type { SharedKeys } from "../../../key-watch/shared-keys.js";
import type { Metrics } from "../../../metrics/metrics.js";
import type { CredentialRecord } from "../../../stores/credential-store.js";
import type { KeyDenylist } from "../../../stores/denylist.js";
import type { PendingKeyPairs } from "../../../stores/key-pairs.js";
import type { PanicStepsOwed } from "../../../stores/panic-steps.js";
import type { BotContext } from "../../context.js";
import { ROTATE_NOW_PRESS } from "../../key-buttons.js";
import { textsOf } from "../../texts.js";
import { revokeKeyboard, STEPS_BEAT_MS } from "./resend-steps.js";
import { createFreezeRetries } from "./freeze-retries.js";
import { finish } from "./review.js";
import { createSnapshots, type SnapshotDeps } from "./snapshots.js";

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
 *
 * Two parts. `urgent` runs ahead of the chat's queue, so that /panic never waits behind an
 * update of the same chat (a key check can take Bybit's full timeout); it counts the /panic,
 * so that a key under check is not stored after it. `flow` runs in the queue, after the
 * conversations: it ends any flow under way, and handles the buttons and the frozen notices.
 */
export function createPanic(deps: PanicDeps): { urgent: Composer<BotContext>; flow: Composer<BotContext> } {
  const snapshots = createSnapshots(deps);

  const retries = createFreezeRetries<{ ctx: Context; record: CredentialRecord }>({
    async attempt({ ctx, record }) {
      // Replaced, disconnected or frozen by another /panic meanwhile: nothing is left to freeze here.
      const current = await deps.credentials.current(record.userId);
      if (current?.ref !== record.ref || current.status !== "active") return true;
      return freeze(ctx, record, true);
    },
    gaveUp: async ({ ctx, record }) => void (await ctx.reply(textsOf(ctx).panicGaveUp(record), steps)),
  });

  /** True once settled; false when Redis refused the freeze (then it is tried again in the background). */
  async function freeze(ctx: Context, record: CredentialRecord, retrying = false): Promise<boolean> {
    const texts = textsOf(ctx);
    const owed = { userId: record.userId, ref: record.ref };
    let flow: Awaited<ReturnType<PanicDeps["panics"]["freeze"]>>;
    try {
      // Owed before the freeze: a crash at any moment after it has the steps sent again.
      // Wall time: processes die in real time.
      await deps.panicSteps.owe(owed, Date.now());
      flow = await deps.panics.freeze(record.userId, record.ref, deps.clock());
    } catch (error) {
      if (retrying) return false;
      // Redis refuses writes (at its memory limit, or gone): revoke first, in Bybit, and we follow.
      deps.logger.error({ err: error, userId: record.userId }, "could not freeze a key at /panic; trying again");
      deps.metrics.panics.inc({ outcome: "not-frozen" });
      await ctx.reply(texts.panicNotFrozen(record), steps).catch(() => undefined);
      retries.keep(record.ref, { ctx, record });
      return false;
    }
    deps.metrics.panics.inc({ outcome: flow ? "frozen" : "raced" });
    if (!flow) {
      await deps.panicSteps.sent(owed);
      // Frozen a moment ago by another /panic of the same follower: its steps, again.
      const frozen = await deps.panics.flow(record.userId, record.ref);
      if (frozen)
        await ctx.reply(texts.revokeSteps(frozen.record), { ...steps, reply_markup: revokeButtons(ctx, record.ref) });
      else await ctx.reply(texts.panicRaced);
      return true;
    }
    // Out of the slot, the key is out of service: not even a reminder due now can use it. So the
    // steps need not wait for the reminders to go, nor for the denylist, nor for any other copy of the key to be
    // frozen. A copy left active by a failure here is refused by the engine (denied) and frozen by the watch or the
    // reconciliation, which look for it.
    const denied = deps.denylist.add(record).then(() =>
      deps.sharedKeys.freezeOthers(record).catch((error: unknown) => {
        deps.logger.error(
          { err: error, userId: record.userId },
          "could not freeze the other copies of a key frozen by /panic",
        );
      }),
    );
    const housekeeping = Promise.all([deps.reminders.cancel(record), denied]);
    const stepsShown = (async () => {
      const beat = () => void deps.panicSteps.beat(owed, Date.now()).catch(() => undefined);
      const beating = setInterval(beat, STEPS_BEAT_MS);
      try {
        await ctx.reply(texts.panicFrozen(flow.record), html);
        await ctx.reply(texts.revokeSteps(flow.record), {
          ...steps,
          reply_markup: revokeButtons(ctx, flow.record.ref),
        });
      } finally {
        clearInterval(beating);
      }
      await deps.panicSteps.sent(owed);
    })();
    snapshots.start(ctx, flow, Promise.all([stepsShown, housekeeping]));
    await Promise.all([stepsShown, housekeeping]);
    return true;
  }

  /** Freezes the current key, or shows the open flows again; never waits on Bybit. */
  async function panicNow(ctx: BotContext & { from: { id: number } }): Promise<void> {
    const texts = textsOf(ctx);
    const userId = ctx.from.id;
    const [, current, open] = await Promise.all([
      // Stops a key check under way from storing its key; a Redis refusing writes refuses the freeze too.
      deps.credentials.bumpPanicEpoch(userId).catch(() => undefined),
      deps.credentials.current(userId),
      deps.panics.open(userId),
    ]);
    if (!current && open.length === 0) {
      deps.metrics.panics.inc({ outcome: "no-key" });
      await ctx.reply(texts.panicNoKey, html);
    }
    // One flow per key: an open one goes on where it was, snapshot and all. A snapshot still pending
    // and not under way here was cut short (a restart): it is taken now, while the key may still read.
    for (const flow of open) {
      await ctx.reply(texts.revokeSteps(flow.record), { ...steps, reply_markup: revokeButtons(ctx, flow.record.ref) });
      await deps.panicSteps.sent({ userId, ref: flow.record.ref });
      if (flow.snapshot.state === "pending" && !snapshots.running(flow.record.ref)) snapshots.start(ctx, flow);
    }
    // A key connected after an open flow began is most likely the fresh one: ask before freezing it.
    if (current && open.some((flow) => flow.frozenAt <= current.connectedAt)) {
      await ctx.reply(texts.freezeTooQuestion(current), {
        ...html,
        reply_markup: new InlineKeyboard().text(texts.freezeTooButton, `${FREEZE_TOO}:${current.ref}`),
      });
    } else if (current) {
      await freeze(ctx, current);
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
    const texts = textsOf(ctx);
    const current = await deps.credentials.current(ctx.from.id);
    if (!current || current.ref !== ctx.match[1]) return ctx.answerCallbackQuery({ text: texts.buttonExpired });
    await ctx.answerCallbackQuery();
    await freeze(ctx, current);
  });

  dm.callbackQuery(/^panic:(deleted|forget):([\w-]+)$/, async (ctx) => {
    const texts = textsOf(ctx);
    const userId = ctx.from.id;
    const ref = ctx.match[2]!;
    const open = await deps.panics.flow(userId, ref);
    if (!open) return ctx.answerCallbackQuery({ text: texts.buttonExpired });
    await ctx.answerCallbackQuery();
    // Forgetting needs nothing from Bybit; a snapshot still under way finds the flow ended and says nothing.
    if (ctx.match[1] === "forget") {
      deps.metrics.panics.inc({ outcome: "forgotten-unverified" });
      return finish(ctx, deps, open, false);
    }

    const credentials = await deps.panics.reveal(userId, ref);
    // Never claim a revocation Bybit has not confirmed: a key we cannot open, we cannot check.
    if (!credentials)
      return ctx.reply(texts.cannotCheck(open.record), { ...html, reply_markup: revokeButtons(ctx, ref) });
    const wait = await deps.exchanges.followerCheck(userId);
    if (wait > 0)
      return ctx.reply(texts.checkAgainIn(Math.ceil(wait / 1000)), { ...html, reply_markup: revokeButtons(ctx, ref) });
    await ctx.reply(texts.checkingRevocation);
    const liveness = await deps.exchanges.of(open.record.exchange).isKeyAlive(credentials, open.record.site);
    deps.metrics.panics.inc({
      outcome: !liveness.ok ? "verify-failed" : liveness.alive ? "still-active" : "revoked-verified",
    });
    if (!liveness.ok) return ctx.reply(texts.verifyFailed, { ...html, reply_markup: revokeButtons(ctx, ref) });
    if (liveness.alive) {
      await ctx.reply(texts.stillActive(open.record), html);
      return ctx.reply(texts.revokeSteps(open.record), { ...steps, reply_markup: revokeButtons(ctx, ref) });
    }
    // Dead: the review wants the snapshot, if one is still under way here.
    await snapshots.running(ref);
    const latest = await deps.panics.flow(userId, ref);
    if (latest) await finish(ctx, deps, latest, true);
  });

  return { urgent, flow };
}
