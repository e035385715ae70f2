import { MONEY_REASONS } from "../../policy/key-policy.js";
import type { PermissionChanges } from "../../policy/key-watch.js";
import type { CredentialRecord } from "../../stores/credential-store.js";
import type { WatchNotice } from "../../key-watch/findings.js";
import type { Lang } from "../i18n.js";
import { connectTexts } from "./connect.js";
import { placeOf } from "./sites.js";
import { describePermissions, keyLabel } from "./format.js";

/** Every word of the key watch: what it found in Bybit, and what to do. */
export function watchTexts(lang: Lang) {
  const { t } = lang;
  const { refusalReason } = connectTexts(lang);
  /** The API-management page of the key's own site. */
  const linkFor = (record: CredentialRecord) => t("api-management-link", { url: placeOf(record).apiManagementUrl });

  function changeLines({ added, removed }: PermissionChanges): string[] {
    const list = (changes: PermissionChanges["added"]) =>
      describePermissions(lang, Object.fromEntries(changes.map(({ group, permissions }) => [group, permissions])));
    return [
      ...(added.length > 0 ? [t("watch-added", { permissions: list(added) })] : []),
      ...(removed.length > 0 ? [t("watch-removed", { permissions: list(removed) })] : []),
    ];
  }

  function refusedNotice(record: CredentialRecord, notice: Extract<WatchNotice, { kind: "refused" }>): string {
    const canMoveMoney = notice.reasons.some((reason) => MONEY_REASONS.has(reason.code));
    const changes = changeLines(notice.changes);
    return [
      t("watch-refused", { key: keyLabel(lang, record.name, record.maskedKey) }),
      ...(changes.length > 0 ? ["", t("watch-what-changed"), ...changes] : []),
      "",
      ...notice.reasons.map((reason) => `• ${refusalReason(reason)}`),
      "",
      t(canMoveMoney ? "watch-money" : "watch-fix", { link: linkFor(record) }),
    ].join("\n");
  }

  return {
    watchNotice: (record: CredentialRecord, notice: WatchNotice) =>
      notice.kind === "refused"
        ? refusedNotice(record, notice)
        : t(notice.kind === "shared" ? "watch-shared" : "watch-deleted", {
            key: keyLabel(lang, record.name, record.maskedKey),
            link: linkFor(record),
          }),
  };
}
