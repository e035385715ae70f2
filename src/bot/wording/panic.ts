import type { AccountSnapshot, Fill, OpenOrder, OpenPosition } from "../../policy/account.js";
import type { CredentialRecord } from "../../stores/credential-store.js";
import type { Lang } from "../i18n.js";
import { API_MANAGEMENT_URL, connectTexts, type NextStep } from "./connect.js";
import { placeOf, type KeyPlace } from "./sites.js";
import { escapeHtml, keyLabel } from "./format.js";

/** Every word of `/panic`: revoke first, investigate second. */

type KeyFacts = { keyName: string; maskedKey: string };

export function panicTexts(lang: Lang) {
  const { t } = lang;
  const key = (record: CredentialRecord) => keyLabel(lang, record.name, record.maskedKey);
  const facts = (facts: KeyFacts) => keyLabel(lang, facts.keyName, facts.maskedKey);
  const link = t("api-management-link", { url: API_MANAGEMENT_URL });
  /** The API-management page of the key's own site. */
  const linkFor = (record: { exchange: string; site: string }) =>
    t("api-management-link", { url: placeOf(record).apiManagementUrl });
  const { thenSend } = connectTexts(lang);
  const e = escapeHtml;
  return {
    panicNoKey: t("panic-no-key", { link }),
    incidentNotice: (reason: string | null, record: CredentialRecord) =>
      t("incident-notice", {
        reason: reason === null ? t("incident-reason-default") : escapeHtml(reason),
        key: key(record),
      }),
    panicFrozen: (record: CredentialRecord) => t("panic-frozen", { key: key(record) }),
    groupLeakFrozen: (record: CredentialRecord) => t("group-leak-frozen", { key: key(record) }),
    panicRaced: t("panic-raced"),
    revokeSteps: (record: CredentialRecord) =>
      [
        t("revoke-title"),
        t("revoke-step-open", { url: placeOf(record).apiManagementUrl, site: placeOf(record).name }),
        t("revoke-step-find", { key: key(record) }),
        t("revoke-step-delete"),
        ...(record.origin === "oauth" ? [t("revoke-step-oauth")] : []),
        "",
        t("revoke-then"),
      ].join("\n"),
    frozenNotice: (record: CredentialRecord) => t("frozen-notice", { key: key(record), link: linkFor(record) }),
    panicNotFrozen: (record: CredentialRecord) => t("panic-not-frozen", { key: key(record), link: linkFor(record) }),
    panicGaveUp: (record: CredentialRecord) => t("panic-gave-up", { key: key(record), link: linkFor(record) }),
    freezeTooQuestion: (record: CredentialRecord) => t("freeze-too-question", { key: key(record) }),
    freezeTooButton: t("freeze-too-button"),
    panicCannotBeCancelled: (record: CredentialRecord) =>
      t("panic-cannot-be-cancelled", { key: key(record), link: linkFor(record) }),
    checkingRevocation: t("checking-revocation"),
    checkAgainIn: (seconds: number) => t("check-again-in", { seconds }),
    deletedItButton: t("deleted-it-button"),
    forgetNowButton: t("forget-now-button"),
    snapshotTaken: (snapshot: AccountSnapshot, foreignFills: number) =>
      t("snapshot-taken", {
        positions: t("open-positions", { count: snapshot.positions.length }),
        orders: t("open-orders", { count: snapshot.orders.length }),
        fills: t("foreign-fills", { count: foreignFills }),
      }),
    snapshotFailed: t("snapshot-failed"),
    keyAlreadyDead: (record: CredentialRecord) => t("key-already-dead", { key: key(record) }),
    stillActive: (record: CredentialRecord) => t("still-active", { key: key(record) }),
    cannotCheck: (record: CredentialRecord) => t("cannot-check", { key: key(record), link: linkFor(record) }),
    verifyFailed: t("verify-failed"),
    revokedVerified: (keyFacts: KeyFacts) => t("revoked-verified", { key: facts(keyFacts) }),
    forgotUnverified: (keyFacts: KeyFacts, record: { exchange: string; site: string }) =>
      t("forgot-unverified", { key: facts(keyFacts), link: linkFor(record) }),
    keyDenied: (next: NextStep) => t("key-denied", { then: thenSend(next) }),
    /** `place`: where the key lives (its site's page); a refusal kept from before sites has none. */
    keyShared: (next: NextStep, place?: KeyPlace) =>
      t("key-shared", {
        link: place ? t("api-management-link", { url: place.apiManagementUrl }) : link,
        then: thenSend(next),
      }),
    reviewAsOf: (readAt: number, verified: boolean) =>
      t(verified ? "review-as-of" : "review-as-of-unverified", { time: lang.dateTime(readAt) }),
    freezeTooKeepButton: t("freeze-too-keep-button"),
    freezeTooKept: (record: CredentialRecord) => t("freeze-too-kept", { key: key(record) }),
    forgetNowQuestion: (record: CredentialRecord) => t("forget-now-question", { key: key(record) }),
    forgetNowYesButton: t("forget-now-yes-button"),
    forgetNowNoButton: t("forget-now-no-button"),
    reviewPositionsTitle: t("review-positions-title"),
    reviewOrdersTitle: t("review-orders-title"),
    reviewNothingOpen: t("review-nothing-open"),
    reviewFillsTitle: t("review-fills-title"),
    reviewNoForeignFills: t("review-no-foreign-fills"),
    reviewUnavailable: t("review-unavailable"),
    position: (p: OpenPosition) =>
      t("review-position", {
        symbol: e(p.symbol),
        side: e(p.side),
        size: e(p.size),
        entry: e(p.entryPrice),
        mark: e(p.markPrice),
        pnl: e(p.unrealisedPnl),
        leverage: e(p.leverage),
        liquidation: e(p.liquidationPrice || "—"),
      }),
    order: (o: OpenOrder) =>
      t("review-order", { symbol: e(o.symbol), side: e(o.side), type: e(o.type), qty: e(o.qty), price: e(o.price) }),
    fill: (f: Fill) =>
      t("review-fill", {
        time: lang.dateTime(f.time),
        symbol: e(f.symbol),
        side: e(f.side),
        qty: e(f.qty),
        price: e(f.price),
      }),
    afterPanic: (supportContact: string | null, connected: boolean) =>
      [
        t("after-panic-title"),
        t("after-panic-passwords"),
        t("after-panic-other-keys"),
        t("after-panic-2fa"),
        ...(supportContact ? [t("after-panic-support", { contact: e(supportContact) })] : []),
        ...(connected ? [] : ["", t("after-panic-connect")]),
      ].join("\n"),
    groupPanic: (botUsername: string) => t("group-panic", { bot: botUsername }),
  };
}
