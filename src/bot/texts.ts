import type { Fill, OpenOrder, OpenPosition } from "../policy/account.js";
import { DAY_MS } from "../policy/key-policy.js";
import type { ReminderTimes } from "../policy/rotation.js";
import type { CredentialRecord } from "../vault/credential-store.js";
import { connectTexts } from "./copy/connect.js";
import { deletionTexts } from "./copy/deletion.js";
import { panicTexts } from "./copy/panic.js";
import { watchTexts } from "./copy/watch.js";
import { dateTime, daysLeft, describePermissions, escapeHtml, formatDate, keyLabel } from "./copy/format.js";

/**
 * Every word the bot says. Copy is short and plain, says what happened and what to do next,
 * and never repeats anything the follower sent.
 */

export const commandDescriptions = {
  connect: "Connect your Bybit API key",
  status: "Your key, its expiry and reminders",
  rotate: "Replace your key with a new one",
  disconnect: "Remove your key from this service",
  panic: "Key leaked? Stop it now and revoke it",
  forget: "Delete everything stored about you",
  cancel: "Stop what we are doing",
} as const;

export const texts = {
  welcomeBack: (record: CredentialRecord) =>
    `Your key ${keyLabel(record.name, record.maskedKey)} is connected. Send /connect to replace it.`,
  help: "Send /connect to connect your Bybit API key, or /panic if a key leaked.",
  ...connectTexts,
  ...deletionTexts,
  ...panicTexts,
  ...watchTexts,


  cancelled: "Cancelled. Nothing was stored.",
  nothingToCancel: "There is nothing to cancel.",
  looseCredential: "It looked like an API key or secret. If that key is connected here and may have leaked, send /panic. To connect a key, send /connect.",

  groupKeysOnlyInPrivate: (botUsername: string) =>
    `Keys go only in a private chat with me: https://t.me/${botUsername}?start=connect`,
  groupDeletedCredential: (botUsername: string) =>
    `I deleted a message that looked like an API key or secret. If it was real, delete that key in Bybit now: others have seen it. If it is connected to this service, freeze it here: https://t.me/${botUsername}?start=panic`,
  groupDeletingCredential: (botUsername: string) =>
    `A message here looks like an API key or secret. I am deleting it, though Telegram is slow to let me right now. If it was real, delete that key in Bybit now: others have seen it. If it is connected to this service, freeze it here: https://t.me/${botUsername}?start=panic`,

  buttonExpired: "This button has expired.",
  keyUnreadable: (record: CredentialRecord) =>
    `⚠️ I can no longer open your stored key ${keyLabel(record.name, record.maskedKey)}, after a change on our side, so nothing trades with it now. Please connect a key again with /connect, then delete the old one in Bybit: API Management → Delete.`,
  slowDown: (seconds: number) => `You’re sending messages faster than I can answer, so I’ll skip the next ones for about ${seconds} seconds. /panic always goes through.`,
  status: (record: CredentialRecord, times: ReminderTimes, now: number) =>
    [
      `Key ${keyLabel(record.name, record.maskedKey)}: ${statusWords[record.status]}`,
      `Permissions: ${describePermissions(record.permissions)}`,
      record.keyType === "rsa" ? "Kind: self-generated (its private key never left our vault)" : "Kind: system-generated (key and secret)",
      `Created: ${formatDate(record.createdAt)}`,
      record.expiresAt === null
        ? `Expires: never in Bybit (IP-bound); our limit is ${formatDate(times.expiry)} (${daysLeft(times.expiry, now)}).`
        : `Expires: ${formatDate(record.expiresAt)} (${daysLeft(record.expiresAt, now)}).`,
      record.status !== "active"
        ? "Send /rotate to connect a new key."
        : times.rotate > now
          ? `Reminders: to rotate on ${formatDate(times.rotate)}, at expiry on ${formatDate(times.expiry)}.`
          : `Rotation is due now: send /rotate. Last reminder at expiry on ${formatDate(times.expiry)}.`,
    ].join("\n"),
  noKey: "No key is connected. Send /connect to connect your Bybit API key.",
  lastRevoked: (facts: { keyName: string; maskedKey: string; frozenAt: number; revokedVerified: boolean }) =>
    `Your last key ${keyLabel(facts.keyName, facts.maskedKey)} was frozen with /panic on ${formatDate(facts.frozenAt)}. ${
      facts.revokedVerified ? "Bybit confirmed it is deleted." : "I did not check that it is deleted in Bybit: make sure it is."
    }`,

  reminderRotate: (record: CredentialRecord, now: number) =>
    `🔁 Time to rotate your key ${keyLabel(record.name, record.maskedKey)}: it is ${Math.floor((now - record.createdAt) / DAY_MS)} days old${
      record.expiresAt === null ? "" : ` and expires on ${formatDate(record.expiresAt)}`
    }. It takes two minutes.`,
  reminderExpired: (record: CredentialRecord) =>
    `⛔ Your key ${keyLabel(record.name, record.maskedKey)} has expired, so copying has stopped. Connect a new key to resume.`,
  rotateNowButton: "Rotate now",

  disconnectConfirm: (record: CredentialRecord) =>
    `Disconnect the key ${keyLabel(record.name, record.maskedKey)}? Copying stops and I forget the key.`,
  disconnectButton: "Disconnect",
  disconnected: (record: CredentialRecord) =>
    `Disconnected. I deleted the key from our storage. Now delete ${keyLabel(record.name, record.maskedKey)} in Bybit as well: API Management → Delete.`,

  forgetConfirm: "Delete everything I store about you: your key, its reminders and its history? This can’t be undone.",
  forgetButton: "Delete everything",
  forgotten: "Done: I deleted everything I stored about you. If your key still exists in Bybit, delete it there too.",

  /** Said when an update failed somewhere unknown: what it did before failing is not known either. */
  somethingWentWrong: "Something went wrong on our side, and I can’t tell whether your last step went through. Send /status to see what is stored, then try again if needed.",
} as const;

const statusWords: Record<CredentialRecord["status"], string> = {
  active: "active ✅",
  expired: "expired ⛔",
  frozen: "frozen 🧊 (not used for trading): after /panic, or because it changed in Bybit (see my message about it). If it may have leaked, delete it in Bybit",
  deleted: "deleted in Bybit ⛔ (not used for trading)",
  unreadable: "can’t be opened any more ⚠️ (not used for trading): connect it again with /connect",
};
