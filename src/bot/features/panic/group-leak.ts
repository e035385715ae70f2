import { createHash, timingSafeEqual } from "node:crypto";
import type { Api } from "grammy";
import type { CredentialStore } from "../../../stores/credential-store.js";
import { freezeKey, type FreezeDeps } from "../../../use-cases/panic.js";
import { textsFor } from "../../texts.js";
import { revokeKeyboard } from "./resend-steps.js";

export interface GroupLeakDeps extends FreezeDeps {
  credentials: Pick<CredentialStore, "current" | "reveal" | "bumpPanicEpoch">;
}

const digest = (value: string) => createHash("sha256").update(value).digest();
const same = (a: Buffer, b: Buffer) => timingSafeEqual(a, b);

/**
 * A key or secret posted in a group has leaked, whatever became of the message: when it is the poster's
 * connected key (its key or its secret is in the text), it is frozen as /panic freezes it, and the poster
 * hears so in private with the steps to delete it in Bybit (when the bot can reach them: a follower who
 * never opened the chat, or blocked the bot, cannot be told). Nothing is said in the group about whose key
 * it was. Keys of other followers cannot be matched from a paste (the service keeps no index of keys by
 * their text) and are left to the delete-it-now advice the group hears.
 */
export function createGroupLeaks(deps: GroupLeakDeps, api: Api) {
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
    const outcome = await freezeKey(deps, record);
    const texts = textsFor(languageCode);
    const html = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const;
    if (outcome.kind === "not-frozen") {
      await api.sendMessage(posterId, texts.panicNotFrozen(record), html).catch(() => undefined);
      return false;
    }
    if (outcome.kind !== "frozen") return false;
    const owed = { userId: posterId, ref: record.ref };
    try {
      await api.sendMessage(posterId, texts.groupLeakFrozen(record), html);
      await api.sendMessage(posterId, texts.revokeSteps(outcome.flow.record), {
        ...html,
        reply_markup: revokeKeyboard(texts, record.ref),
      });
    } catch (error) {
      deps.logger.warn(
        { err: error, userId: posterId },
        "a key leaked in a group was frozen; its owner is unreachable",
      );
    } finally {
      await deps.panicSteps.sent(owed).catch(() => undefined);
    }
    await outcome.housekeeping.catch((error: unknown) =>
      deps.logger.error({ err: error, userId: posterId }, "housekeeping after a group leak failed"),
    );
    return true;
  };
}
