import { GrammyError, HttpError, InlineKeyboard, type Api } from "grammy";
import type { DeliverReminder, DeliveryOutcome } from "../reminders/worker.js";
import type { CredentialRecord } from "../stores/credential-store.js";
import type { WatchNotice } from "../key-watch/findings.js";
import type { FollowerLanguages } from "../stores/follower-language.js";
import { rotateNowData } from "./key-buttons.js";
import { textsFor } from "./texts.js";
import { expiryOf, type RotationRules } from "../policy/rotation.js";

/** Tells a follower that their stored key can no longer be opened and must be connected again. */
export function createUnreadableNotice(
  api: Api,
  languages: FollowerLanguages,
): (record: CredentialRecord) => Promise<void> {
  return async (record) => {
    const texts = textsFor(await languages.of(record.userId));
    await api.sendMessage(record.userId, texts.keyUnreadable(record), { parse_mode: "HTML" });
  };
}

/** Sends a reminder to the follower's private chat and says what Telegram made of it. */
export function createReminderDelivery(
  api: Api,
  clock: () => number,
  languages: FollowerLanguages,
  rules: RotationRules,
): DeliverReminder {
  return async (record, kind) => {
    const texts = textsFor(await languages.of(record.userId));
    const text =
      kind === "rotate"
        ? texts.reminderRotate(record, clock())
        : kind === "expiry"
          ? texts.reminderExpired(record)
          : texts.reminderExpiresSoon(record, expiryOf(record, rules), clock());
    return deliver(
      api,
      record.userId,
      text,
      new InlineKeyboard().text(texts.rotateNowButton, rotateNowData(record.ref)),
    );
  };
}

/** Tells a follower what the key watch found: their key out of use, why, and what to do. */
export function createWatchNotice(
  api: Api,
  languages: FollowerLanguages,
): (record: CredentialRecord, notice: WatchNotice) => Promise<DeliveryOutcome> {
  return async (record, notice) =>
    deliver(api, record.userId, textsFor(await languages.of(record.userId)).watchNotice(record, notice));
}

const GONE = /chat not found|user is deactivated|bot was blocked|bot can't initiate/i;

/**
 * 403: blocked by the follower; a 400 that says the chat or user is gone. Neither improves with retries.
 * Any other 400 is ours (a message Telegram can't parse).
 */
export const followerGone = (error: unknown): boolean =>
  error instanceof GrammyError &&
  (error.error_code === 403 || (error.error_code === 400 && GONE.test(error.description)));

/** One background message to a follower's private chat, and what Telegram made of it. */
async function deliver(api: Api, chatId: number, text: string, keyboard?: InlineKeyboard): Promise<DeliveryOutcome> {
  try {
    await api.sendMessage(chatId, text, {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      reply_markup: keyboard,
    });
    return { delivered: true };
  } catch (error) {
    if (error instanceof HttpError) return { delivered: false, transient: true };
    if (!(error instanceof GrammyError)) throw error;
    if (error.error_code === 429) return { delivered: false, retryAfterMs: (error.parameters.retry_after ?? 1) * 1000 };
    // Any other 400 is ours: retried, and logged when final.
    if (followerGone(error)) return { delivered: false, unreachable: true };
    return { delivered: false, transient: true };
  }
}
