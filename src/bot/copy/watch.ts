import { MONEY_REASONS } from "../../policy/key-policy.js";
import type { PermissionChanges } from "../../policy/key-watch.js";
import type { CredentialRecord } from "../../vault/credential-store.js";
import type { WatchNotice } from "../../vault/watch-findings.js";
import { API_MANAGEMENT_URL, refusalReasons } from "./connect.js";
import { describePermissions, keyLabel } from "./format.js";

/** Every word of the key watch: what it found in Bybit, and what to do. */

const apiManagement = `<a href="${API_MANAGEMENT_URL}">API Management</a>`;

function changeLines({ added, removed }: PermissionChanges): string[] {
  const list = (changes: PermissionChanges["added"]) => describePermissions(Object.fromEntries(changes.map(({ group, permissions }) => [group, permissions])));
  return [...(added.length > 0 ? [`• Added: ${list(added)}`] : []), ...(removed.length > 0 ? [`• Removed: ${list(removed)}`] : [])];
}

function refusedNotice(record: CredentialRecord, notice: Extract<WatchNotice, { kind: "refused" }>): string {
  const canMoveMoney = notice.reasons.some((reason) => MONEY_REASONS.has(reason.code));
  const changes = changeLines(notice.changes);
  return [
    `⚠️ Your key ${keyLabel(record.name, record.maskedKey)} changed in Bybit, and this service must not use it as it is now. I stopped using it: nothing trades with it, and copying has stopped.`,
    ...(changes.length > 0 ? ["", "What changed:", ...changes] : []),
    "",
    ...notice.reasons.map((reason) => `• ${refusalReasons(reason)}`),
    "",
    canMoveMoney
      ? `If you did not make this change, someone may have access to your Bybit account: change your password and check your 2FA now. Then delete this key in ${apiManagement}, and send /connect to connect a new one with only Contracts → Orders and Positions. I won’t accept this key again.`
      : `Fix it in ${apiManagement} and send /connect to connect it again, or create a new key.`,
  ].join("\n");
}

export const watchTexts = {
  watchNotice: (record: CredentialRecord, notice: WatchNotice) =>
    notice.kind === "refused"
      ? refusedNotice(record, notice)
      : `⛔ Bybit no longer accepts your key ${keyLabel(record.name, record.maskedKey)}: it was deleted in Bybit, so copying has stopped. If you did not delete it yourself, check your Bybit account’s security. Send /connect to connect a new key.`,
} as const;
