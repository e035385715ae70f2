import type { Fill, OpenOrder, OpenPosition } from "../policy/account.js";
import { DAY_MS } from "../policy/key-policy.js";
import type { ReminderTimes } from "../policy/rotation.js";
import type { CredentialRecord } from "../vault/credential-store.js";
import { connectTexts } from "./copy/connect.js";
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
  help: "Send /connect to connect your Bybit API key.",
  ...connectTexts,


  cancelled: "Cancelled. Nothing was stored.",
  nothingToCancel: "There is nothing to cancel.",
  deletedLooseCredential: "I deleted your message because it looked like an API key or secret. To connect a key, send /connect.",

  groupKeysOnlyInPrivate: (botUsername: string) =>
    `Keys go only in a private chat with me: https://t.me/${botUsername}?start=connect`,
  groupDeletedCredential: (botUsername: string) =>
    `I deleted a message that looked like an API key or secret. If it was real, delete that key in Bybit now: others have seen it. Keys go only in a private chat with me: https://t.me/${botUsername}?start=connect`,
  groupCouldNotDelete: (botUsername: string) =>
    `A message here looks like an API key or secret, and I can’t delete it (I need admin rights for that). Please delete it now, and delete that key in Bybit: others have seen it. Keys go only in a private chat with me: https://t.me/${botUsername}?start=connect`,

  buttonExpired: "This button has expired.",
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

  panicNoKey:
    "No key is connected, so there is nothing for me to freeze. If you think a Bybit key leaked, delete it in Bybit now: API Management → Delete. Then change your Bybit password and check your 2FA.",
  panicFrozen: (record: CredentialRecord) =>
    `🧊 Frozen: I no longer use the key ${keyLabel(record.name, record.maskedKey)} for anything. Reading your open positions while the key still works…`,
  revokeSteps: (record: CredentialRecord) =>
    [
      "<b>Now revoke the key in Bybit:</b>",
      "1. Open Bybit → Account → <b>API Management</b>",
      `2. Find ${keyLabel(record.name, record.maskedKey)}`,
      "3. Press <b>Delete</b>",
      "4. Confirm with your 2FA code",
      "",
      "Then press <b>I deleted it</b>, and I’ll check with Bybit that the key no longer works.",
    ].join("\n"),
  deletedItButton: "I deleted it",
  forgetNowButton: "Forget the key now",
  snapshotFailed: "I couldn’t read your account just now (Bybit did not answer). Revoke the key first; check your positions in Bybit afterwards.",
  keyAlreadyDead: (record: CredentialRecord) =>
    `Your key ${keyLabel(record.name, record.maskedKey)} no longer works in Bybit: it was already deleted or has expired. Nothing is left to revoke, and I deleted it from our storage.`,
  stillActive: (record: CredentialRecord) =>
    `⚠️ Bybit still accepts the key ${keyLabel(record.name, record.maskedKey)}: it is not deleted yet. Please follow the steps again.`,
  verifyFailed: "I couldn’t check with Bybit just now. Press <b>I deleted it</b> again in a minute, or <b>Forget the key now</b>.",
  revokedVerified: (facts: { keyName: string; maskedKey: string }) =>
    `✅ Verified: Bybit no longer accepts the key ${keyLabel(facts.keyName, facts.maskedKey)}. I deleted it, its secret and the snapshot from our storage.`,
  forgotUnverified: (facts: { keyName: string; maskedKey: string }) =>
    `I deleted the key, its secret and the snapshot from our storage. I did not check with Bybit: make sure ${keyLabel(facts.keyName, facts.maskedKey)} is deleted there.`,
  reviewPositionsTitle: "<b>Open positions.</b> They stay open after the key is revoked: close in Bybit what you no longer want.",
  reviewOrdersTitle: "<b>Open orders.</b> They stay open too: cancel in Bybit what you no longer want.",
  reviewNothingOpen: "No open positions or orders.",
  reviewFillsTitle: "<b>Fills of the last 7 days that this service did not place.</b> If you do not recognise them, contact Bybit support now.",
  reviewNoForeignFills: "No fills in the last 7 days other than this service’s.",
  reviewUnavailable: "I could not read your account with the key, so check your open positions, orders and recent trades in Bybit.",
  position: (p: OpenPosition) =>
    `• ${escapeHtml(p.symbol)} ${escapeHtml(p.side)} ${escapeHtml(p.size)} @ ${escapeHtml(p.entryPrice)} (mark ${escapeHtml(p.markPrice)}), PnL ${escapeHtml(p.unrealisedPnl)}, ${escapeHtml(p.leverage)}×, liq. ${escapeHtml(p.liquidationPrice || "—")}`,
  order: (o: OpenOrder) => `• ${escapeHtml(o.symbol)} ${escapeHtml(o.side)} ${escapeHtml(o.type)} ${escapeHtml(o.qty)} @ ${escapeHtml(o.price)}`,
  fill: (f: Fill) => `• ${dateTime.format(f.time)} UTC ${escapeHtml(f.symbol)} ${escapeHtml(f.side)} ${escapeHtml(f.qty)} @ ${escapeHtml(f.price)}`,
  afterPanic: [
    "<b>What to do next</b>",
    "• Change the passwords of accounts that may share the leak: your email and Bybit.",
    "• Rotate your API keys on other exchanges.",
    "• Turn on 2FA everywhere.",
    "",
    "When you’re ready, send /connect to connect a fresh key.",
  ].join("\n"),

  forgetConfirm: "Delete everything I store about you: your key, its reminders and its history? This can’t be undone.",
  forgetButton: "Delete everything",
  forgotten: "Done: I deleted everything I stored about you. If your key still exists in Bybit, delete it there too.",

  somethingWentWrong: "Something went wrong on our side. Nothing was changed. Please try again in a minute.",
} as const;

const statusWords: Record<CredentialRecord["status"], string> = {
  active: "active ✅",
  expired: "expired ⛔",
  frozen: "frozen 🧊 (not used for trading)",
};
