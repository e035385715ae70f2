import type { ExchangeFailure } from "../../exchange/bybit.js";
import type { KeyType } from "../../policy/api-key.js";
import type { PolicyWarning, RefusalReason } from "../../policy/key-policy.js";
import type { ReminderTimes } from "../../policy/rotation.js";
import type { CredentialRecord } from "../../vault/credential-store.js";
import { daysUntil, describePermissions, escapeHtml, formatDate, formatUsd, keyLabel } from "./format.js";

/** Every word of the connect and rotate flows. */

export const API_MANAGEMENT_URL = "https://www.bybit.com/app/user/api-management";
const apiManagement = `<a href="${API_MANAGEMENT_URL}">API Management</a>`;

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

export const connectTexts = {
  connectIntro: "<b>Let’s connect your Bybit account.</b> It takes two minutes.",
  rotateIntro: (previous: CredentialRecord) =>
    `<b>Let’s replace your key</b> ${keyLabel(previous.name, previous.maskedKey)}. Keep the old key until I confirm the new one.`,
  twoWays: [
    "Choose how:",
    "• <b>Make the key for me</b> (recommended): I make a key pair and give you its public key to paste into Bybit. You send back only the API key, so nothing secret ever crosses this chat.",
    "• <b>I have a key and secret</b>: send them here, and I delete each message the moment it arrives.",
  ].join("\n"),
  makePairButton: "Make the key for me (nothing secret to copy)",
  haveSecretButton: "I have a key and secret",
  pickWay: "Please tap one of the two buttons above, or paste your key, or /cancel.",

  publicKeySteps: (publicKeyPem: string, egressIps: readonly string[], minutes: number) =>
    [
      "Here is your <b>public key</b>. Tap the block to copy it:",
      `<pre>${escapeHtml(publicKeyPem.trim())}</pre>`,
      `In Bybit, open ${apiManagement} → <b>Create New Key</b> → <b>Self-generated API Keys</b>, paste the public key, and set:`,
      ...keySettings(egressIps),
      "",
      `Then send me the <b>API key</b> Bybit shows you. There is no secret to copy: the private key never leaves our vault. This public key is valid for ${minutes} minutes.`,
    ].join("\n"),
  secretKeySteps: (egressIps: readonly string[]) =>
    [
      `In Bybit, open ${apiManagement} → <b>Create New Key</b> → <b>System-generated API Keys</b> and set:`,
      ...keySettings(egressIps),
      "",
      "Bybit shows the secret only once, so keep that page open.",
      "",
      "Now send me the <b>API key</b>. You can also send the key and the secret together. I delete each message as soon as it arrives.",
    ].join("\n"),

  askSecret: "Got the key. Now send the <b>API secret</b>.",
  notAKey: "That doesn’t look like an API key: Bybit keys are about 18 letters and digits. Copy it again from Bybit and send it here, or /cancel.",
  notASecret: "That doesn’t look like an API secret: Bybit secrets are about 36 letters and digits. Copy it again and send it here, or /cancel.",
  secretFirst: "It looks like the <b>secret</b>: please send the <b>API key</b> first (about 18 letters and digits), then the secret.",
  keyReplaced: "Got it: I will use this key instead. Now send the <b>API secret</b>.",
  sentenceInsteadOfKey: "It reads like a sentence: please send only the <b>API key</b>, copied from Bybit, or /cancel.",
  sentenceInsteadOfSecret: "It reads like a sentence: please send only the <b>API secret</b>, copied from Bybit, or /cancel.",
  privateKeyPasted:
    "⚠️ That was a <b>private key</b>. I did not store or use it. Never send a private key to anyone; if it belongs to a Bybit key, delete that key in Bybit. The safer way: /connect, then <b>Make the key for me</b>. I make the pair, and its private key never leaves our vault.",
  publicKeySentBack: "That is the public key: paste it into Bybit’s <b>Self-generated API Keys</b> dialog, then send me the <b>API key</b> Bybit shows you.",
  publicKeyWithoutPair:
    "That is a public key, and I can only use a key made from a pair I made. Send /connect and tap <b>Make the key for me</b>, or send a system-generated key and its secret.",
  secretWhileWaitingForRsaKey:
    "It looks like a <b>secret</b>, but a key made with my public key has none: send only its <b>API key</b>. If you made a system-generated key instead, send its key and secret together in one message.",
  textOnly: "Please send the key as a text message, or /cancel.",
  checkInterruptedNothingStored:
    "Sorry: I was restarted while checking your key, so the check did not finish and nothing was stored. Please send /connect to try again.",
  checkInterruptedStored: (record: CredentialRecord) =>
    `Sorry: I was restarted while checking your key, before I could confirm it. It did get connected: ${keyLabel(record.name, record.maskedKey)}. Send /status to see it.`,
  tooManyChecks: (seconds: number, next: NextStep) =>
    `⏳ I checked several keys for you in a short time, and Bybit lets us ask only so often. Nothing was stored. Please wait ${seconds} seconds, ${thenSend(next)}`,
  tooManyTries: "That’s several tries that didn’t work, so I stopped here and stored nothing. Send /connect to start again when you have the key at hand.",
  commandDuringFlow: "We’re in the middle of connecting a key. Send the key, or /cancel to stop.",

  replaceExisting: (record: CredentialRecord) =>
    `You already have the key ${keyLabel(record.name, record.maskedKey)} connected. Replace it with a new one?`,
  replaceButton: "Replace it",
  keepButton: "Keep it",
  pickAnswer: "Please tap one of the two buttons, paste the new key, or /cancel.",
  keptExisting: "Okay, your key stays as it is.",
  replacing: "Okay, let’s connect the new key.",

  sameKey: (next: NextStep) => `This is the key you already have connected. Create a new key in Bybit, ${thenSend(next === "connect" ? "rotate" : next)}`,
  deleteOldKey: (previous: CredentialRecord) =>
    `Now delete the old key ${keyLabel(previous.name, previous.maskedKey)} in Bybit: API Management → Delete. Until you do, it still works for anyone who has it.`,
  reminderSchedule: (times: ReminderTimes, now: number) =>
    times.rotate > now
      ? `I’ll remind you to rotate it on ${formatDate(times.rotate)}, and again when it expires on ${formatDate(times.expiry)}.`
      : `I’ll remind you again when it expires on ${formatDate(times.expiry)}.`,

  checking: "Checking the key with Bybit…",
  exchangeFailure: (failure: ExchangeFailure, keyType: KeyType, next: NextStep) => {
    const [what, fix] = (keyType === "rsa" ? rsaExchangeFailures[failure] : undefined) ?? exchangeFailures[failure];
    return `${what} ${fix} ${thenSend(next)}`;
  },
  pairExpired: (minutes: number) =>
    `The public key I gave you has expired (they last ${minutes} minutes), so nothing was stored. Send /connect for a fresh one, create a new key in Bybit with it, and delete the key you made with the old one.`,
  refused: (name: string, reasons: RefusalReason[], next: NextStep) =>
    [
      `❌ I can’t use the key “${escapeHtml(name)}”. Nothing was stored.`,
      "",
      ...reasons.map((reason) => `• ${refusalReasons(reason)}`),
      "",
      `Fix this in Bybit (or create a new key), ${thenSend(next)}`,
    ].join("\n"),
  connected: (record: CredentialRecord, equityUsd: string | null, warnings: PolicyWarning[], now: number) =>
    [
      `✅ Connected: key ${keyLabel(record.name, record.maskedKey)}${record.keyType === "rsa" ? ", self-generated: its private key never left our vault" : ""}.`,
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
  notStoredAfterPanic: "You sent /panic while I was checking this key, so I did not store it. Send /connect when you are ready.",
  // The save may have gone through before the error: say what is known, and how to find out.
  saveFailed: "Something went wrong while saving your key, and I can’t tell whether it was stored. Send /status to see: if no key is connected, try /connect again in a minute.",
} as const;

/** What happened, then what to fix, for each way Bybit can fail a key check; the way to retry follows. */
const exchangeFailures: Record<ExchangeFailure, [string, string]> = {
  "invalid-key": ["Bybit does not know this API key.", "Check that you copied all of it, and that it is a mainnet key (not testnet),"],
  "wrong-secret": ["The secret does not match this key.", "Copy the secret again (Bybit shows it only once: if it is gone, create a new key),"],
  "ip-not-allowed": ["Bybit refused the key because it is bound to other IP addresses.", "Remove the IP restriction in Bybit,"],
  expired: ["This key has expired in Bybit.", "Create a new one,"],
  "clock-skew": ["Bybit rejected the request time. This is on our side, and nothing was stored.", "Please wait a minute,"],
  "rate-limited": ["Bybit is limiting requests right now. Nothing was stored.", "Please wait a minute,"],
  timeout: ["Bybit did not answer in time. Nothing was stored.", "Please wait a minute,"],
  unavailable: ["Bybit is not answering properly right now. Nothing was stored.", "Please wait a minute,"],
};

/** A self-generated key has no secret to get wrong: a bad signature means the key was made with another public key. */
const rsaExchangeFailures: Partial<Record<ExchangeFailure, [string, string]>> = {
  "wrong-secret": [
    "Bybit did not accept my signature for this key: it was made with a different public key (or it is a system-generated key). Nothing was stored.",
    "In Bybit, create a self-generated key with the public key I sent (and delete the one you made),",
  ],
};

/** How a follower tries again: a new /connect, or (with a key pair of ours still waiting) just the API key. */
export type NextStep = "connect" | "rotate" | "resend";
export const thenSend = (next: NextStep) =>
  next === "resend"
    ? "then send it to me again, or /cancel. The public key I gave you still works."
    : `then send /${next}.`;

export function refusalReasons(reason: RefusalReason): string {
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
    case "unsafe-permissions":
      return `It has permissions this service must not hold: ${reason.groups.map(({ group, permissions }) => `${escapeHtml(group)} (${permissions.map(escapeHtml).join(", ")})`).join("; ")}. Untick everything but Contracts → Orders and Positions.`;
    case "other-trading":
      return `It can trade other products: ${reason.groups.map(({ group, permissions }) => `${escapeHtml(group)} (${permissions.map(escapeHtml).join(", ")})`).join("; ")}. This service trades only contracts: untick everything but Contracts → Orders and Positions.`;
    case "no-expiry":
      return "It has no expiry date. Create a key without IP restriction: Bybit then sets a 90-day expiry.";
    case "ip-bound-without-egress":
      return "It is bound to IP addresses, so our servers can’t use it. Set IP restriction to none.";
    case "ip-bound-missing-egress":
      return `It is bound to IP addresses that leave out our servers. Add ${reason.missing.join(", ")} or set IP restriction to none.`;
    case "public-key-mismatch":
      return "Bybit holds a different public key for it than the one I gave you. Create the key with the public key I sent.";
  }
}

function policyWarnings(warning: PolicyWarning): string {
  switch (warning.code) {
    case "rotation-due":
      return `This key is already ${warning.ageDays} days old and due for rotation. Please create a new key soon.`;
    case "not-unified":
      return "Your account is not a Unified Trading Account. Some copied trades may fail until you upgrade it in Bybit.";
  }
}
