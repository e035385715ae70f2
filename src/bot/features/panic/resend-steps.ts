import { InlineKeyboard, type Api } from "grammy";
import type { Logger } from "pino";
import type { Metrics } from "../../../metrics/metrics.js";
import type { FollowerLanguages } from "../../../stores/follower-language.js";
import type { PanicStepsOwed } from "../../../stores/panic-steps.js";
import type { PanicStore } from "../../../stores/panic-store.js";
import { textsFor, type Texts } from "../../texts.js";

/**
 * The two buttons of a flow; they name the frozen key, so they stay valid until its flow ends, and
 * act for nobody else.
 */
export const revokeKeyboard = (texts: Texts, ref: string): InlineKeyboard =>
  new InlineKeyboard()
    .text(texts.deletedItButton, `panic:deleted:${ref}`)
    .row()
    .text(texts.forgetNowButton, `panic:forget:${ref}`);

const STEPS = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const;

/** While the steps go out, the owed entry beats this often; one silent for three beats was cut short. */
export const STEPS_BEAT_MS = 5000;
const SILENT_AFTER_BEATS = 3;
/** How long a resend holds its entry, in beats: longer than a send takes, so two processes never both send. */
const RESEND_LEASE_BEATS = 2;

export interface ResendStepsDeps {
  panics: Pick<PanicStore, "flow">;
  panicSteps: PanicStepsOwed;
  api: Api;
  languages: FollowerLanguages;
  logger: Logger;
  metrics: Metrics;
  /** The beat (default STEPS_BEAT_MS); the resender looks once a beat. */
  recoveryBeatMs?: number;
}

/**
 * Sends the revoke steps again to a follower whose `/panic` froze the key and then lost its
 * process before the steps went out: the key stays frozen either way, but without the steps
 * and their buttons the follower would not know what to do next. Every 5 s, and at start-up.
 */
export function resendPanicSteps(deps: ResendStepsDeps): { start(): void; stop(): void } {
  const beatMs = deps.recoveryBeatMs ?? STEPS_BEAT_MS;
  async function sweep(): Promise<void> {
    const silentSince = Date.now() - SILENT_AFTER_BEATS * beatMs;
    for (const owed of await deps.panicSteps.claimSilentSince(silentSince, 50, RESEND_LEASE_BEATS * beatMs)) {
      // Ended meanwhile (or never frozen: the process died before the freeze): nothing is owed.
      const flow = await deps.panics.flow(owed.userId, owed.ref);
      if (!flow) {
        await deps.panicSteps.sent(owed);
        continue;
      }
      deps.metrics.restartNotices.inc({ kind: "panic-steps" });
      deps.logger.warn({ userId: owed.userId }, "the /panic steps were cut short by a restart; sending them again");
      const texts = textsFor(await deps.languages.of(owed.userId));
      // A key seen in a group was frozen without the follower asking: they hear why first (they never heard it).
      const first = flow.frozenBy === "group-leak" ? texts.groupLeakFrozen(flow.record) : texts.restartPanicSteps;
      const text = `${first}\n\n${texts.revokeSteps(flow.record)}`;
      await deps.api.sendMessage(owed.userId, text, { ...STEPS, reply_markup: revokeKeyboard(texts, owed.ref) }).then(
        // Taken by Telegram: owed no more. A crash before this line sends them once more, never not at all.
        () => deps.panicSteps.sent(owed),
        async (error: unknown) => {
          deps.logger.warn({ err: error, userId: owed.userId }, "could not send the /panic steps again; trying later");
          await deps.panicSteps.owe(owed, Date.now());
        },
      );
    }
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      const tick = () =>
        sweep().catch((error: unknown) => deps.logger.warn({ err: error }, "could not read the /panic steps owed"));
      void tick();
      timer = setInterval(tick, beatMs).unref();
    },
    stop: () => clearInterval(timer),
  };
}
