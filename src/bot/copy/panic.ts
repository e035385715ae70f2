import type { AccountSnapshot, Fill, OpenOrder, OpenPosition } from "../../policy/account.js";
import type { CredentialRecord } from "../../vault/credential-store.js";
import { API_MANAGEMENT_URL, thenSend, type NextStep } from "./connect.js";
import { dateTime, escapeHtml, keyLabel } from "./format.js";

/** Every word of `/panic`: revoke first, investigate second. */

type KeyFacts = { keyName: string; maskedKey: string };

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export const panicTexts = {
  panicNoKey:
    "No key is connected, so there is nothing for me to freeze. If you think a Bybit key leaked, delete it in Bybit now: API Management → Delete. Then change your Bybit password and check your 2FA.",
  panicFrozen: (record: CredentialRecord) =>
    `🧊 Frozen: I no longer use the key ${keyLabel(record.name, record.maskedKey)} for anything, and I will never accept it again.`,
  panicRaced: "Your key changed just as you sent /panic. Please send /panic again.",
  revokeSteps: (record: CredentialRecord) =>
    [
      "<b>Now revoke the key in Bybit.</b> It takes 30 seconds:",
      `1. Open <a href="${API_MANAGEMENT_URL}">Bybit → API Management</a>`,
      `2. Find ${keyLabel(record.name, record.maskedKey)}`,
      "3. Press <b>Delete</b> and confirm with your 2FA code",
      "",
      "Then press <b>I deleted it</b>, and I’ll check with Bybit that the key no longer works. Meanwhile I read what your account holds.",
    ].join("\n"),
  frozenNotice: (record: CredentialRecord) =>
    `🧊 Your key ${keyLabel(record.name, record.maskedKey)} is frozen after /panic, and it still has to be deleted in Bybit: API Management → Delete. Then press <b>I deleted it</b>.`,
  freezeTooQuestion: (record: CredentialRecord) =>
    `Your new key ${keyLabel(record.name, record.maskedKey)}, connected since, is still in use. Has it leaked too?`,
  freezeTooButton: "Freeze it too",
  panicCannotBeCancelled: (record: CredentialRecord) =>
    `A /panic can’t be undone: the key ${keyLabel(record.name, record.maskedKey)} stays frozen, and it still has to be deleted in Bybit. Then press <b>I deleted it</b>.`,
  checkingRevocation: "Checking with Bybit…",
  checkAgainIn: (seconds: number) =>
    `⏳ I asked Bybit several times in a short time, and it lets us ask only so often. Press <b>I deleted it</b> again in ${seconds} seconds, or <b>Forget the key now</b>.`,
  deletedItButton: "I deleted it",
  forgetNowButton: "Forget the key now",
  snapshotTaken: (snapshot: AccountSnapshot, foreignFills: number) =>
    `📸 Read while the key still worked: ${plural(snapshot.positions.length, "open position", "open positions")}, ${plural(snapshot.orders.length, "open order", "open orders")}, ${plural(foreignFills, "fill", "fills")} in the last 7 days that this service did not place. I’ll go through them once the key is revoked.`,
  snapshotFailed: "I couldn’t read your account with the key just now. Revoke the key first; check your positions in Bybit afterwards.",
  keyAlreadyDead: (record: CredentialRecord) =>
    `Your key ${keyLabel(record.name, record.maskedKey)} no longer works in Bybit: it was already deleted or has expired. Nothing is left to revoke, and I deleted it from our storage.`,
  stillActive: (record: CredentialRecord) =>
    `⚠️ Bybit still accepts the key ${keyLabel(record.name, record.maskedKey)}: it is not deleted yet. Please follow the steps again.`,
  cannotCheck: (record: CredentialRecord) =>
    `I can no longer open the key ${keyLabel(record.name, record.maskedKey)} to check it with Bybit. Make sure it is deleted in Bybit, then press <b>Forget the key now</b>.`,
  verifyFailed: "I couldn’t check with Bybit just now. Press <b>I deleted it</b> again in a minute, or <b>Forget the key now</b>.",
  revokedVerified: (facts: KeyFacts) =>
    `✅ Verified: Bybit no longer accepts the key ${keyLabel(facts.keyName, facts.maskedKey)}. I deleted it, its secret or private key, and the snapshot from our storage.`,
  forgotUnverified: (facts: KeyFacts) =>
    `I deleted the key, its secret or private key, and the snapshot from our storage. I did not check with Bybit: make sure ${keyLabel(facts.keyName, facts.maskedKey)} is deleted there.`,
  keyDenied: (next: NextStep) =>
    `❌ This key was frozen as leaked (with /panic, or because it could move money), so I will never use it again. Nothing was stored. Delete it in Bybit, create a new key, ${thenSend(next)}`,
  reviewAsOf: (readAt: number) =>
    `<b>As read at ${dateTime.format(readAt)} UTC</b>, just after /panic. The key worked until you deleted it, so check Bybit for anything since.`,
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
  afterPanic: (supportContact: string | null, connected: boolean) =>
    [
      "<b>What to do next</b>",
      "• Change the passwords of accounts that may share the leak: your email and Bybit.",
      "• Rotate your API keys on other exchanges.",
      "• Turn on 2FA everywhere.",
      ...(supportContact ? [`• Tell us what happened: ${escapeHtml(supportContact)}`] : []),
      ...(connected ? [] : ["", "When you’re ready, send /connect to connect a fresh key."]),
    ].join("\n"),
  groupPanic: (botUsername: string) =>
    `Don’t wait: open a private chat with me and I’ll freeze your key at once: https://t.me/${botUsername}?start=panic`,
} as const;
