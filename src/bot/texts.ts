import type { ExchangeFailure } from "../exchange/bybit.js";
import type { Fill, OpenOrder, OpenPosition } from "../policy/account.js";
import { DAY_MS, type PolicyWarning, type RefusalReason } from "../policy/key-policy.js";
import type { ReminderTimes } from "../policy/rotation.js";
import type { CredentialRecord } from "../vault/credential-store.js";

/**
 * Every word the bot says. Copy is short and plain, says what happened and what to do next,
 * and never repeats anything the follower sent.
 */

const date = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const dateTime = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
const formatDate = (epochMs: number) => date.format(epochMs);

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const keyLabel = (name: string, maskedKey: string) => `“${escapeHtml(name)}” (<code>${escapeHtml(maskedKey)}</code>)`;

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

  connectInstructions: (egressIps: readonly string[]) =>
    [
      "<b>Let’s connect your Bybit account.</b> It takes two minutes.",
      "",
      "In Bybit, open <b>API Management → Create New Key → System-generated</b> and set:",
      ...keySettings(egressIps),
      "",
      "Bybit shows the secret only once, so keep that page open.",
      "",
      "Now send me the <b>API key</b>. You can also send the key and the secret together, separated by a space. I delete each message as soon as it arrives.",
    ].join("\n"),
  askSecret: "Got the key, and deleted your message. Now send the <b>API secret</b>.",
  notAKey: "That doesn’t look like an API key: Bybit keys are about 18 letters and digits. Copy it again from Bybit and send it here, or /cancel.",
  notASecret: "That doesn’t look like an API secret: Bybit secrets are about 36 letters and digits. Copy it again and send it here, or /cancel.",
  textOnly: "Please send the key as a text message, or /cancel.",
  commandDuringFlow: "We’re in the middle of connecting a key. Send the key, or /cancel to stop.",
  deleteItYourself: (reason: "not-allowed" | "network") =>
    reason === "not-allowed"
      ? "⚠️ Telegram did not let me delete your last message. Please delete it yourself now: it holds part of your key."
      : "⚠️ I could not reach Telegram to delete your last message. Please delete it yourself now: it holds part of your key.",

  replaceExisting: (record: CredentialRecord) =>
    `You already have the key ${keyLabel(record.name, record.maskedKey)} connected. Replace it with a new one?`,
  replaceButton: "Replace it",
  keepButton: "Keep it",
  pickAnswer: "Please tap one of the two buttons, or /cancel.",
  keptExisting: "Okay, your key stays as it is.",
  replacing: "Okay, let’s connect the new key.",

  rotateInstructions: (previous: CredentialRecord, egressIps: readonly string[]) =>
    [
      `<b>Let’s replace your key</b> ${keyLabel(previous.name, previous.maskedKey)}.`,
      "",
      "First create a <b>new</b> key in Bybit with the same settings:",
      ...keySettings(egressIps),
      "",
      "Keep the old key until I confirm the new one. Now send me the new <b>API key</b> (or key and secret together, separated by a space). I delete each message as soon as it arrives.",
    ].join("\n"),
  nothingToRotate: "You have no key connected yet. Send /connect to connect one.",
  sameKey: "This is the key you already have connected. Create a new key in Bybit, then send /rotate again.",
  deleteOldKey: (previous: CredentialRecord) =>
    `Now delete the old key ${keyLabel(previous.name, previous.maskedKey)} in Bybit: API Management → Delete. Until you do, it still works for anyone who has it.`,
  reminderSchedule: (times: ReminderTimes, now: number) =>
    times.rotate > now
      ? `I’ll remind you to rotate it on ${formatDate(times.rotate)}, and again when it expires on ${formatDate(times.expiry)}.`
      : `I’ll remind you again when it expires on ${formatDate(times.expiry)}.`,

  checking: "Checking the key with Bybit…",
  exchangeFailure: (failure: ExchangeFailure) => exchangeFailures[failure],
  refused: (name: string, reasons: RefusalReason[]) =>
    [
      `❌ I can’t use the key “${escapeHtml(name)}”. Nothing was stored.`,
      "",
      ...reasons.map((reason) => `• ${refusalReasons(reason)}`),
      "",
      "Fix this in Bybit (or create a new key), then send /connect.",
    ].join("\n"),
  connected: (record: CredentialRecord, equityUsd: string | null, warnings: PolicyWarning[], now: number) =>
    [
      `✅ Connected: key ${keyLabel(record.name, record.maskedKey)}.`,
      `Permissions: ${describePermissions(record.permissions)}`,
      equityUsd === null
        ? "Account equity: not available right now."
        : `Account equity: ${formatUsd(equityUsd)} USD. Copied trades are sized to it.`,
      record.expiresAt === null
        ? "Expiry: none (the key is bound to our IPs)."
        : `Expires: ${formatDate(record.expiresAt)} (in ${daysUntil(record.expiresAt, now)} days). Create a new key before then.`,
      ...warnings.map((warning) => `⚠️ ${policyWarnings(warning)}`),
    ].join("\n"),
  existingStays: (record: CredentialRecord) => `Your key ${keyLabel(record.name, record.maskedKey)} stays connected.`,
  saveFailed: "I could not save your key just now, so nothing was stored. Please try /connect again in a minute.",

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

function keySettings(egressIps: readonly string[]): string[] {
  return [
    "• Name: for example <code>copy-trade-2026</code>",
    "• <b>Read-Write</b>, with <b>Contracts: Orders and Positions</b>. Nothing else.",
    "• Wallet (Withdrawal, Transfer): <b>off</b>",
    egressIps.length === 0
      ? "• IP restriction: none. The key then expires after 90 days."
      : `• IP restriction: none (the key expires after 90 days), or bind exactly ${egressIps.map((ip) => `<code>${ip}</code>`).join(", ")}`,
  ];
}

function daysLeft(epochMs: number, now: number): string {
  const days = daysUntil(epochMs, now);
  return epochMs <= now ? "already passed" : days === 1 ? "1 day left" : `${days} days left`;
}

const exchangeFailures: Record<ExchangeFailure, string> = {
  "invalid-key":
    "Bybit does not know this API key. Check that you copied all of it, and that it is a mainnet key (not testnet). Then send /connect.",
  "wrong-secret": "The secret does not match this key. Copy the secret again (Bybit shows it only once: if it is gone, create a new key), then send /connect.",
  "ip-not-allowed": "Bybit refused the key because it is bound to other IP addresses. Remove the IP restriction in Bybit, then send /connect.",
  expired: "This key has expired in Bybit. Create a new one, then send /connect.",
  "clock-skew": "Bybit rejected the request time. This is on our side; please try /connect again in a minute.",
  "rate-limited": "Bybit is limiting requests right now. Nothing was stored. Please try /connect again in a minute.",
  timeout: "Bybit did not answer in time. Nothing was stored. Please try /connect again in a minute.",
  unavailable: "Bybit is not answering properly right now. Nothing was stored. Please try /connect again in a minute.",
};

function refusalReasons(reason: RefusalReason): string {
  switch (reason.code) {
    case "can-withdraw":
      return "It can <b>withdraw</b> funds. Untick Wallet → Withdrawal.";
    case "can-transfer":
      return `It can <b>transfer</b> funds (${reason.permissions.join(", ")}). Untick Wallet → Account Transfer and Subaccount Transfer.`;
    case "fiat":
      return `It has fiat permissions (${reason.categories.join(", ")}). Untick everything under Fiat.`;
    case "read-only":
      return "It is <b>read-only</b>, so it can’t place copied trades. Choose Read-Write.";
    case "contract-trade-missing":
      return `It can’t trade contracts: tick Contracts → ${reason.missing.join(" and ")}.`;
    case "no-expiry":
      return "It has no expiry date. Create a key without IP restriction: Bybit then sets a 90-day expiry.";
    case "ip-bound-without-egress":
      return "It is bound to IP addresses, so our servers can’t use it. Set IP restriction to none.";
    case "ip-bound-missing-egress":
      return `It is bound to IP addresses that leave out our servers. Add ${reason.missing.join(", ")} or set IP restriction to none.`;
  }
}

function policyWarnings(warning: PolicyWarning): string {
  switch (warning.code) {
    case "unneeded-permissions":
      return `The key also has permissions we don’t need (${warning.categories.join(", ")}). For safety, untick them in Bybit.`;
    case "rotation-due":
      return `This key is already ${warning.ageDays} days old and due for rotation. Please create a new key soon.`;
    case "not-unified":
      return "Your account is not a Unified Trading Account. Some copied trades may fail until you upgrade it in Bybit.";
  }
}

function describePermissions(permissions: Record<string, string[]>): string {
  const granted = Object.entries(permissions).filter(([, list]) => list.length > 0);
  if (granted.length === 0) return "none";
  return granted.map(([category, list]) => `${category} (${list.join(", ")})`).join("; ");
}

const usd = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });
function formatUsd(amount: string): string {
  const value = Number(amount);
  return Number.isFinite(value) ? usd.format(value) : "—";
}

const daysUntil = (epochMs: number, now: number) => Math.max(0, Math.round((epochMs - now) / DAY_MS));
