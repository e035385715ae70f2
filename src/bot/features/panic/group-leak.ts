import { createHash, timingSafeEqual } from "node:crypto";
import type { Api } from "grammy";
import type { CredentialRecord, CredentialStore } from "../../../stores/credential-store.js";
import type { PanicStepsOwed } from "../../../stores/panic-steps.js";
import { freezeKey, type FreezeDeps, type FreezeOutcome } from "../../../use-cases/panic.js";
import { textsFor } from "../../texts.js";
import { createFreezeRetries } from "./freeze-retries.js";
import { whileBeating } from "../../beating.js";
import { revokeKeyboard, STEPS_BEAT_MS } from "./resend-steps.js";

export interface GroupLeakDeps extends Omit<FreezeDeps, "panicSteps"> {
  panicSteps: Pick<PanicStepsOwed, "owe" | "sent" | "beat">;
  credentials: Pick<CredentialStore, "current" | "reveal" | "bumpPanicEpoch">;
  /** How often steps going out beat (default STEPS_BEAT_MS; shorter in tests). */
  recoveryBeatMs?: number;
}

const digest = (value: string) => createHash("sha256").update(value).digest();
const same = (a: Buffer, b: Buffer) => timingSafeEqual(a, b);
const html = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const;

/**
 * A key or secret posted in a group has leaked, whatever became of the message: when it is the poster's
 * connected key (its key or its secret is in the text), it is frozen as /panic freezes it, and the poster
 * hears so in private with the steps to delete it in Bybit (when the bot can reach them: a follower who
 * never opened the chat, or blocked the bot, cannot be told). Nothing is said in the group about whose key
 * it was. Keys of other followers cannot be matched from a paste (the service keeps no index of keys by
 * their text) and are left to the delete-it-now advice the group hears.
 *
 * As /panic: the steps are owed from before the freeze and beat while they go out (a restart in between
 * has them sent again, saying why: resend-steps.ts); a freeze Redis refused is tried again in the
 * background, as the follower is told.
 */
export function createGroupLeaks(deps: GroupLeakDeps, api: Api) {
  const retries = createFreezeRetries<{ record: CredentialRecord; languageCode: string | undefined }>({
    attempt: async ({ record, languageCode }) =>
      tell(record, languageCode, await freezeKey(deps, record, { retry: true, by: "group-leak" })),
    gaveUp: async ({ record, languageCode }) =>
      void (await api.sendMessage(record.userId, textsFor(languageCode).panicGaveUp(record), html)),
  });

  /** True once settled; false when Redis refused the freeze (then it is tried again in the background). */
  async function tell(record: CredentialRecord, languageCode: string | undefined, outcome: FreezeOutcome) {
    const texts = textsFor(languageCode);
    if (outcome.kind === "not-frozen") return false;
    if (outcome.kind !== "frozen") return true;
    const owed = { userId: record.userId, ref: record.ref };
    const beat = () => deps.panicSteps.beat(owed, Date.now());
    try {
      await whileBeating(beat, deps.recoveryBeatMs ?? STEPS_BEAT_MS, async () => {
        await api.sendMessage(record.userId, texts.groupLeakFrozen(record), html);
        await api.sendMessage(record.userId, texts.revokeSteps(outcome.flow.record), {
          ...html,
          reply_markup: revokeKeyboard(texts, record.ref),
        });
      });
    } catch (error) {
      // Retried for minutes by the send path first: what is left is a follower who blocked the bot or never
      // opened the chat. The key stays frozen; /panic or /status shows the steps once they come back.
      deps.logger.warn(
        { err: error, userId: record.userId },
        "a key leaked in a group was frozen; its owner is unreachable",
      );
    }
    await deps.panicSteps.sent(owed).catch(() => undefined);
    await outcome.housekeeping.catch((error: unknown) =>
      deps.logger.error({ err: error, userId: record.userId }, "housekeeping after a group leak failed"),
    );
    return true;
  }

  return async function frozeIfTheirs(posterId: number, languageCode: string | undefined, text: string) {
    const revealed = await deps.credentials.reveal(posterId);
    if (!revealed || revealed.record.status !== "active") return false;
    const { record, credentials } = revealed;
    const tokens = text
      .split(/[^A-Za-z0-9_-]+/)
      .filter((token) => token.length >= 8)
      .map(digest);
    const theirs = [credentials.apiKey, ...(record.keyType === "hmac" ? [credentials.apiSecret] : [])].map(digest);
    if (!tokens.some((token) => theirs.some((one) => same(token, one)))) return false;
    await deps.credentials.bumpPanicEpoch(posterId).catch(() => undefined);
    const outcome = await freezeKey(deps, record, { by: "group-leak" });
    if (outcome.kind === "not-frozen") {
      // Delete it in Bybit now, which stops it for good; the freeze here follows as soon as Redis takes writes.
      await api.sendMessage(posterId, textsFor(languageCode).panicNotFrozen(record), html).catch(() => undefined);
      retries.keep(record.ref, { record, languageCode });
      return false;
    }
    return outcome.kind === "frozen" && (await tell(record, languageCode, outcome));
  };
}
