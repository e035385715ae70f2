import type { Context } from "grammy";
import type { CredentialRecord } from "../../../stores/credential-store.js";
import type { Admission } from "../../../use-cases/connect.js";
import type { BotConversation } from "../../context.js";
import type { MessageAddress } from "../../intake/carriers.js";
import { textsOf } from "../../texts.js";
import type { Logger } from "pino";
import type { ChecksUnderWay } from "../../../stores/checks.js";
import type { Shredder } from "../../intake/shredder.js";
import type { CutShortChecks } from "./cut-short.js";
import { whileBeating } from "../../beating.js";

/** How often a check under way says it is still running; three missed beats mean it was cut short. */
export const CHECK_BEAT_MS = 5000;

interface WatchDeps {
  shredder: Pick<Shredder, "answered">;
  checksUnderWay: ChecksUnderWay;
  cutShort: CutShortChecks;
  logger: Logger;
  recoveryBeatMs?: number;
}

/**
 * "Checking the key with Bybit…", then the check, recorded as under way from before the first
 * word and beating every few seconds while it runs (a slow Telegram or Bybit is not a crash): a
 * crash at any moment in between is noticed after the restart (interrupted.ts). Wall time, not
 * the domain clock: processes die in real time. Null: a fault (Redis refusing writes, most likely)
 * cut the check short, or its save failed with the outcome unknown; the record stays until the
 * follower has been told what became of the key (cut-short.ts).
 */
export async function checkUnderWatch(
  conversation: BotConversation,
  ctx: Context,
  deps: WatchDeps,
  userId: number,
  check: () => Promise<Admission>,
  previous: CredentialRecord | null,
  pasted?: MessageAddress,
): Promise<Admission | null> {
  const previousRef = previous?.ref ?? null;
  // From here a crash is told by interrupted.ts, so the paste needs no "restarted, send it again": both
  // records are written in the same tick (a kill between them would have the follower told twice, or not at
  // all). A paste not marked answered (a Redis fault) may be told of a restart too: a second word beats none.
  const answered = () => (pasted ? deps.shredder.answered(pasted).catch(() => undefined) : undefined);
  try {
    await conversation.external(() =>
      Promise.all([deps.checksUnderWay.begin(userId, previousRef, Date.now()), answered()]),
    );
  } catch (error) {
    // Redis refuses writes: nothing is checked, so nothing can be stored. Said now, while this process can
    // say it (a debt kept only in memory would die with it).
    deps.logger.warn({ err: error, userId }, "a key check could not begin; the follower is told to send it again");
    await ctx.reply(textsOf(ctx).checkNotBegun).catch(() => undefined);
    return null;
  }
  try {
    // Outside `external` on purpose: on a replay the check has ended, and a beat (ZADD XX) does nothing.
    const beat = () => deps.checksUnderWay.beat(userId, previousRef, Date.now());
    const admission = await whileBeating(beat, deps.recoveryBeatMs ?? CHECK_BEAT_MS, async () => {
      await ctx.reply(textsOf(ctx).checking);
      return conversation.external(check);
    });
    if (admission.outcome !== "save-failed") {
      // A record left behind is told about by the crash sweep later: a second word beats none.
      await conversation.external(() => deps.checksUnderWay.end(userId, previousRef).catch(() => false));
      return admission;
    }
  } catch (error) {
    // Logged by kind (the logger's error serializer): a message may quote what it was given.
    deps.logger.warn({ err: error, userId }, "a key check was cut short; told when Redis takes writes");
  }
  // Its record under way was written (above), and stays until the follower is told.
  await conversation.external(() => deps.cutShort.owe({ userId, previousRef, recorded: true }));
  return null;
}
