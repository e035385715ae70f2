import { Composer, InlineKeyboard, type Context } from "grammy";
import type { Logger } from "pino";
import type { Exchange } from "../../../exchange/bybit.js";
import type { Reminders } from "../../../jobs/reminders.js";
import { foreignFills, REVIEW_FILLS_DAYS } from "../../../policy/account.js";
import { DAY_MS } from "../../../policy/key-policy.js";
import type { CredentialStore } from "../../../vault/credential-store.js";
import type { KeyDenylist } from "../../../vault/denylist.js";
import type { PanicFlow } from "../../../vault/panic-store.js";
import type { BotContext } from "../../context.js";
import { texts } from "../../texts.js";
import { finish, type ReviewDeps } from "./review.js";

export interface PanicDeps extends ReviewDeps {
  credentials: CredentialStore;
  denylist: KeyDenylist;
  exchange: Exchange;
  reminders: Reminders;
  clock: () => number;
  logger: Logger;
}

const html = { parse_mode: "HTML" } as const;
/**
 * Revoke first, investigate second: a snapshot starts no sooner than this after its steps went
 * out, and snapshots start one at a time, this far apart. Starting one costs about 4 ms of CPU
 * (eight requests, each on a fresh connection while Bybit is slow); when 100 followers panicked
 * within a second, starting them at once made the steps of those behind wait up to 670 ms.
 * Deleting a key in Bybit takes a follower far longer than the wait.
 */
const SNAPSHOT_DELAY_MS = 250;
const SNAPSHOT_SPACING_MS = 15;
const steps = { ...html, link_preview_options: { is_disabled: true } } as const;

/** The two buttons of a flow; they name the frozen key, so they stay valid until its flow ends, and act for nobody else. */
export function revokeButtons(ref: string): InlineKeyboard {
  return new InlineKeyboard().text(texts.deletedItButton, `panic:deleted:${ref}`).row().text(texts.forgetNowButton, `panic:forget:${ref}`);
}

/**
 * `/panic`: revoke first, investigate second. The key is frozen (out of the follower's slot, its
 * reminders gone, its Bybit id denied for good) and the revoke steps are on screen before Bybit
 * is asked anything; the account snapshot runs alongside and reports on its own. The follower
 * deletes the key in Bybit; the bot believes it only once Bybit refuses the key, then purges
 * everything secret and goes through what stays open. A second /panic continues the open flow;
 * a key connected since gets a flow of its own.
 */
export function panicFeature(deps: PanicDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const dm = feature.chatType("private");
  /** Snapshots under way in this process, by frozen key: a button press waits for its key's snapshot. */
  const snapshots = new Map<string, Promise<void>>();
  let nextStart = 0;
  const pace = () => {
    const now = performance.now();
    const start = Math.max(now + SNAPSHOT_DELAY_MS, nextStart);
    nextStart = start + SNAPSHOT_SPACING_MS;
    return new Promise((resolve) => setTimeout(resolve, start - now));
  };

  const readAccount = (ctx: Context, flow: PanicFlow): Promise<void> => {
    const { userId, ref } = flow.record;
    const task = (async () => {
      await pace();
      const credentials = await deps.panics.reveal(userId, ref);
      const result = credentials ? await deps.exchange.snapshot(credentials, flow.frozenAt - REVIEW_FILLS_DAYS * DAY_MS) : null;
      if (result && !result.ok && (result.failure === "invalid-key" || result.failure === "expired")) {
        return finish(ctx, deps, flow, true, texts.keyAlreadyDead(flow.record));
      }
      await deps.panics.recordSnapshot(userId, ref, result?.ok ? result.snapshot : null);
      if (!(await deps.panics.flow(userId, ref))) return;
      await ctx.reply(result?.ok ? texts.snapshotTaken(result.snapshot, foreignFills(result.snapshot.fills, deps.orderLinkIdPrefix).length) : texts.snapshotFailed);
    })()
      .catch((error: unknown) => deps.logger.error({ err: error, userId }, "the /panic account snapshot failed"))
      .finally(() => snapshots.delete(ref));
    snapshots.set(ref, task);
    return task;
  };

  const panic = async (ctx: BotContext & { from: { id: number } }) => {
    await ctx.conversation.exitAll();
    const userId = ctx.from.id;
    const [current, open] = await Promise.all([deps.credentials.current(userId), deps.panics.open(userId)]);
    if (!current && open.length === 0) return ctx.reply(texts.panicNoKey, html);
    // One flow per key: an open one goes on where it was, snapshot and all. A snapshot still pending
    // and not under way here was cut short (a restart): it is taken now, while the key may still read.
    for (const flow of open) {
      await ctx.reply(texts.revokeSteps(flow.record), { ...steps, reply_markup: revokeButtons(flow.record.ref) });
      if (flow.snapshot.state === "pending" && !snapshots.has(flow.record.ref)) void readAccount(ctx, flow);
    }
    if (!current) return;

    const flow = await deps.panics.freeze(userId, current.ref, deps.clock());
    if (!flow) return ctx.reply(texts.panicRaced);
    // Out of the slot, the key is out of service: not even a reminder due now can use it. So the
    // steps need not wait for the reminders to go, nor for the denylist.
    const housekeeping = Promise.all([deps.reminders.cancel(current), deps.denylist.add(current.bybitKeyId)]);
    await ctx.reply(texts.panicFrozen(flow.record), html);
    await ctx.reply(texts.revokeSteps(flow.record), { ...steps, reply_markup: revokeButtons(flow.record.ref) });
    await housekeeping;
    void readAccount(ctx, flow);
  };

  dm.command("panic", panic);
  // The deep link from a group: t.me/<bot>?start=panic.
  dm.command("start", (ctx, next) => (ctx.match === "panic" ? panic(ctx) : next()));

  // While a key is frozen, every command about keys says so first, with the buttons. With only a
  // frozen key there is nothing else to show or disconnect; connecting a new one is welcome.
  const frozenFirst = (withoutCurrentKey: "go-on" | "stop") => async (ctx: BotContext & { from: { id: number } }, next: () => Promise<void>) => {
    const open = await deps.panics.open(ctx.from.id);
    for (const flow of open) await ctx.reply(texts.frozenNotice(flow.record), { ...html, reply_markup: revokeButtons(flow.record.ref) });
    if (open.length === 0 || withoutCurrentKey === "go-on" || (await deps.credentials.current(ctx.from.id))) await next();
  };
  dm.command(["connect", "rotate"], frozenFirst("go-on"));
  dm.command(["status", "disconnect"], frozenFirst("stop"));

  dm.callbackQuery(/^panic:(deleted|forget):([\w-]+)$/, async (ctx) => {
    const userId = ctx.from.id;
    const ref = ctx.match[2]!;
    if (!(await deps.panics.flow(userId, ref))) return ctx.answerCallbackQuery({ text: texts.buttonExpired });
    await ctx.answerCallbackQuery();
    await snapshots.get(ref);
    // Read again: the snapshot may have found the key dead and ended the flow.
    const flow = await deps.panics.flow(userId, ref);
    if (!flow) return;
    if (ctx.match[1] === "forget") return finish(ctx, deps, flow, false);

    const credentials = await deps.panics.reveal(userId, ref);
    // Never claim a revocation Bybit has not confirmed: a key we cannot open, we cannot check.
    if (!credentials) return ctx.reply(texts.cannotCheck(flow.record), { ...html, reply_markup: revokeButtons(ref) });
    const liveness = await deps.exchange.isKeyAlive(credentials);
    if (!liveness.ok) return ctx.reply(texts.verifyFailed, { ...html, reply_markup: revokeButtons(ref) });
    if (liveness.alive) {
      await ctx.reply(texts.stillActive(flow.record), html);
      return ctx.reply(texts.revokeSteps(flow.record), { ...steps, reply_markup: revokeButtons(ref) });
    }
    await finish(ctx, deps, flow, true);
  });

  return feature;
}
