import { MONEY_REASONS } from "../../policy/key-policy.js";
import type { PermissionChanges } from "../../policy/key-watch.js";
import type { CredentialRecord } from "../../stores/credential-store.js";
import type { WatchNotice } from "../../key-watch/findings.js";
import type { Lang } from "../i18n.js";
import { connectTexts } from "./connect.js";
import { placeOf } from "./sites.js";
import { capped, describePermissions, keyLabel } from "./format.js";

/** Groups named in one line of changes before the rest are counted. */
const MAX_GROUPS_SHOWN = 4;
const movesMoney = (group: string) => group === "Wallet" || group.startsWith("Fiat");

/** Every word of the key watch: what it found in Bybit, and what to do. */
export function watchTexts(lang: Lang) {
  const { t } = lang;
  const { reasonLines } = connectTexts(lang);
  /** The API-management page of the key's own site. */
  const linkFor = (record: CredentialRecord) => t("api-management-link", { url: placeOf(record).apiManagementUrl });

  function changeLines({ added, removed }: PermissionChanges): string[] {
    // Money first, and a few groups at most: a key with every box ticked is still one message on a phone.
    const list = (changes: PermissionChanges["added"]) => {
      const sorted = [...changes].sort((a, b) => Number(movesMoney(b.group)) - Number(movesMoney(a.group)));
      const { shown, more } = capped(sorted, MAX_GROUPS_SHOWN);
      const described = describePermissions(lang, Object.fromEntries(shown.map((c) => [c.group, c.permissions])));
      return more > 0 ? `${described}; ${t("groups-more", { count: more })}` : described;
    };
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
      // A key that could move money is never taken again: how to fix it would mislead; the changes say enough.
      ...(canMoveMoney ? [] : ["", ...reasonLines(notice.reasons)]),
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
