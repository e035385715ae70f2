import { GrammyError, HttpError, InlineKeyboard, type Api } from "grammy";
import type { DeliverReminder } from "../jobs/reminder-worker.js";
import type { CredentialRecord } from "../vault/credential-store.js";
import { texts } from "./texts.js";

export const ROTATE_NOW = "rotate:start";

/** Tells a follower that their stored key can no longer be opened and must be connected again. */
export function createUnreadableNotice(api: Api): (record: CredentialRecord) => Promise<void> {
  return async (record) => {
    await api.sendMessage(record.userId, texts.keyUnreadable(record), { parse_mode: "HTML" });
  };
}

/** Sends a reminder to the follower's private chat and says what Telegram made of it. */
export function createReminderDelivery(api: Api, clock: () => number): DeliverReminder {
  return async (record, kind) => {
    const text = kind === "rotate" ? texts.reminderRotate(record, clock()) : texts.reminderExpired(record);
    const keyboard = new InlineKeyboard().text(texts.rotateNowButton, ROTATE_NOW);
    try {
      await api.sendMessage(record.userId, text, { parse_mode: "HTML", reply_markup: keyboard });
      return { delivered: true };
    } catch (error) {
      if (error instanceof HttpError) return { delivered: false, transient: true };
      if (!(error instanceof GrammyError)) throw error;
      if (error.error_code === 429) return { delivered: false, retryAfterMs: (error.parameters.retry_after ?? 1) * 1000 };
      // 403: blocked by the follower; 400 "chat not found": the chat is gone. Neither improves with retries.
      if (error.error_code === 403 || error.error_code === 400) return { delivered: false, unreachable: true };
      return { delivered: false, transient: true };
    }
  };
}
