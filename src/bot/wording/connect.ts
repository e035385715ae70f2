import { ANSWERS_ABOUT_KEY, type ExchangeFailure } from "../../exchange/port.js";
import { DEFAULT_EXCHANGE, profileOf } from "../../exchange/registry.js";
import type { KeyType } from "../../policy/api-key.js";
import type { PolicyWarning, RefusalReason } from "../../policy/key-policy.js";
import type { ReminderTimes } from "../../policy/rotation.js";
import type { CredentialRecord } from "../../stores/credential-store.js";
import type { Lang } from "../i18n.js";
import { placeOf, siteLine, type KeyPlace } from "./sites.js";
import {
  capped,
  daysUntil,
  describeGroup,
  describePermissions,
  escapeHtml,
  keyLabel,
  permissionLabel,
} from "./format.js";

/** Every word of the connect and rotate flows. */

/** Where a follower creates and deletes keys, when their key's own site is not known (sites.ts knows it). */
export const API_MANAGEMENT_URL = profileOf(DEFAULT_EXCHANGE).apiManagementUrl;

/** What a site's host says of a key itself; any other failure is no answer about it (a timeout, an error, …). */
const saidOfKey = (failure: ExchangeFailure) => failure === "unsupported-site" || ANSWERS_ABOUT_KEY.has(failure);

/**
 * How a follower tries again: a new /connect, or in the flow still open, the key fixed in Bybit sent again
 * (`resend`: with a key pair of ours waiting, just the API key; `resend-hmac`: the key and its secret).
 */
export type NextStep = "connect" | "rotate" | "resend" | "resend-hmac";

/** A name for the key in Bybit, new with each day, so that old and new keys never share one. */
export const suggestedKeyName = (now: number) => `copy-trade-${new Date(now).toISOString().slice(0, 10)}`;

/** Reasons listed in one refusal before the rest are counted (a phone shows about 700 characters at once). */
const MAX_REASONS_SHOWN = 3;

export function connectTexts(lang: Lang) {
  const { t } = lang;
  const key = (record: { name: string; maskedKey: string }) => keyLabel(lang, record.name, record.maskedKey);
  const thenSend = (next: NextStep) =>
    next === "resend" || next === "resend-hmac" ? t(`then-send-${next}`) : t("then-send-command", { command: next });
  const and = (items: string[]) => items.reduce((first, second) => t("list-and", { first, second }));
  const groups = (list: { group: string; permissions: string[] }[]) =>
    list.map(({ group, permissions }) => describeGroup(lang, group, permissions)).join("; ");

  const keySettings = (egressIps: readonly string[], keyName: string) => [
    t("setting-name", { name: escapeHtml(keyName) }),
    t("setting-permissions"),
    t("setting-wallet"),
    egressIps.length === 0
      ? t("setting-ip-none")
      : t("setting-ip-bind", { ips: egressIps.map((ip) => `<code>${ip}</code>`).join(", ") }),
  ];

  function refusalReason(reason: RefusalReason): string {
    switch (reason.code) {
      case "can-transfer":
        return t("reason-can-transfer", {
          permissions: reason.permissions.map((permission) => permissionLabel(lang, permission)).join(", "),
        });
      case "fiat":
        return t("reason-fiat", { categories: reason.categories.map(escapeHtml).join(", ") });
      case "contract-trade-missing":
        return t("reason-contract-trade-missing", {
          missing: and(reason.missing.map((permission) => permissionLabel(lang, permission))),
        });
      case "unsafe-permissions":
      case "other-trading":
        return t(`reason-${reason.code}`, { groups: groups(reason.groups) });
      case "ip-bound-missing-egress":
        return t("reason-ip-bound-missing-egress", { missing: reason.missing.join(", ") });
      case "ip-bound-extra":
        return t("reason-ip-bound-extra", { extra: reason.extra.map(escapeHtml).join(", ") });
      default:
        return t(`reason-${reason.code}`);
    }
  }

  /**
   * A key refused for many reasons (every box ticked) is one message a phone can show: the first reasons
   * (money first), then how many more and the quickest fix, a new key with the two boxes alone.
   */
  const reasonLines = (reasons: RefusalReason[]): string[] => {
    const { shown, more } = capped(reasons, MAX_REASONS_SHOWN);
    const lines = shown.map((reason) => `• ${refusalReason(reason)}`);
    return more > 0 ? [...lines, `• ${t("reasons-more", { count: more })}`] : lines;
  };

  const policyWarning = (warning: PolicyWarning) =>
    warning.code === "rotation-due" ? t("warning-rotation-due", { days: warning.ageDays }) : t("warning-not-unified");

  return {
    thenSend,
    reasonLines,
    connectIntro: t("connect-intro"),
    rotateIntro: (previous: CredentialRecord) => t("rotate-intro", { key: key(previous) }),
    twoWays: [t("two-ways-title"), t("two-ways-pair"), t("two-ways-secret")].join("\n"),
    makePairButton: t("make-pair-button"),
    haveSecretButton: t("have-secret-button"),
    pickWay: t("pick-way"),

    /** The public key alone in its message, with a one-line caption: the steps come in the next one. */
    publicKeyAlone: (publicKeyPem: string) => `${t("public-key-title")}\n<pre>${escapeHtml(publicKeyPem.trim())}</pre>`,
    /** `url`: where the key is made (its site's API-management page, when the site is known). */
    publicKeySteps: (egressIps: readonly string[], minutes: number, keyName: string, url = API_MANAGEMENT_URL) =>
      [
        t("public-key-where", { link: t("api-management-link", { url }) }),
        ...keySettings(egressIps, keyName),
        "",
        t("public-key-then", { minutes }),
      ].join("\n"),
    /** The button under the steps: the follower's site's API-management page. */
    openApiManagement: t("open-api-management-button"),
    secretKeySteps: (egressIps: readonly string[], keyName: string, url = API_MANAGEMENT_URL) =>
      [
        t("secret-where", { link: t("api-management-link", { url }) }),
        ...keySettings(egressIps, keyName),
        "",
        t("secret-once"),
        "",
        t("secret-then"),
      ].join("\n"),

    askSecret: t("ask-secret"),
    notAKey: t("not-a-key"),
    notASecret: t("not-a-secret"),
    secretFirst: t("secret-first"),
    keyReplaced: t("key-replaced"),
    sentenceInsteadOfKey: t("sentence-instead-of-key"),
    sentenceInsteadOfSecret: t("sentence-instead-of-secret"),
    privateKeyPasted: t("private-key-pasted"),
    privateKeyPastedPairStep: t("private-key-pasted-pair-step"),
    publicKeySentBack: t("public-key-sent-back"),
    publicKeyWithoutPair: t("public-key-without-pair"),
    secretWhileWaitingForRsaKey: t("secret-while-waiting-for-rsa-key"),
    textOnly: t("text-only"),
    checkInterruptedNothingStored: t("check-interrupted-nothing-stored"),
    checkInterruptedStored: (record: CredentialRecord) => t("check-interrupted-stored", { key: key(record) }),
    checkCutShortNotStored: t("check-cut-short-not-stored"),
    checkNotBegun: t("check-not-begun"),
    checkCutShortStored: (record: CredentialRecord) => t("check-cut-short-stored", { key: key(record) }),
    tooManyChecks: (seconds: number, next: NextStep) => t("too-many-checks", { seconds, then: thenSend(next) }),
    tooManyTries: t("too-many-tries"),
    pairsPaused: (minutes: number) => t("pairs-paused", { minutes }),
    tooMuchChatter: t("too-much-chatter"),
    commandDuringFlow: t("command-during-flow"),
    stepAgain: t("step-again"),

    replaceExisting: (record: CredentialRecord) => t("replace-existing", { key: key(record) }),
    replaceButton: t("replace-button"),
    keepButton: t("keep-button"),
    pickAnswer: t("pick-answer"),
    keptExisting: t("kept-existing"),
    replacing: t("replacing"),

    sameKey: (next: NextStep) => t("same-key", { then: thenSend(next === "connect" ? "rotate" : next) }),
    deleteOldKey: (previous: CredentialRecord) =>
      t("delete-old-key", {
        key: key(previous),
        link: t("api-management-link", { url: placeOf(previous).apiManagementUrl }),
      }),
    /** What is still to come: a warning whose time has passed is not sent (policy/rotation.ts), nor promised. */
    reminderSchedule: (times: ReminderTimes, now: number) => {
      const before = times["expiry-7d"] > now ? "both" : times["expiry-1d"] > now ? "day" : "none";
      const expiry = t("reminder-schedule-expiry", { before, expiry: lang.date(times.expiry) });
      return times.rotate > now ? `${t("reminder-schedule", { rotate: lang.date(times.rotate) })} ${expiry}` : expiry;
    },

    checking: t("checking"),
    unknownSite: (named: string, sites: readonly { id: string; name: string }[]) =>
      t("unknown-site", {
        named: escapeHtml(named),
        sites: sites.map((site) => `<code>/connect ${site.id}</code> (${site.name})`).join(", "),
      }),
    unknownOnMainSite: (next: NextStep) => `${t("failure-invalid-key-unsearched")} ${thenSend(next)}`,
    exchangeFailure: (failure: ExchangeFailure, keyType: KeyType, next: NextStep, place?: KeyPlace) =>
      failure === "unsupported-site"
        ? t("failure-unsupported-site", { site: place?.name ?? "" })
        : failure === "invalid-key" && place
          ? `${t("failure-invalid-key-on-site", { site: place.name })} ${thenSend(next)}`
          : place?.regional && !saidOfKey(failure)
            ? `${t("failure-site-silent", { site: place.name })} ${thenSend(next)}`
            : `${place?.regional ? `${t("failure-on-site", { site: place.name })} ` : ""}${t(
                keyType === "rsa" && failure === "wrong-secret" ? "failure-rsa-wrong-secret" : `failure-${failure}`,
              )} ${thenSend(next)}`,
    pairExpired: (minutes: number) => t("pair-expired", { minutes }),
    refused: (name: string, reasons: RefusalReason[], next: NextStep) =>
      [
        t("refused-title", { name: escapeHtml(name) }),
        "",
        ...reasonLines(reasons),
        "",
        t("refused-fix", { then: thenSend(next) }),
      ].join("\n"),
    connected: (record: CredentialRecord, equityUsd: string | null, warnings: PolicyWarning[], now: number) =>
      [
        t(record.origin === "oauth" ? "oauth-connected" : record.keyType === "rsa" ? "connected-rsa" : "connected", {
          key: key(record),
        }),
        ...siteLine(lang, record),
        t("connected-permissions", { permissions: describePermissions(lang, record.permissions) }),
        equityUsd !== null
          ? t("connected-equity", { usd: lang.usd(equityUsd) })
          : warnings.some((warning) => warning.code === "not-unified")
            ? t("connected-equity-not-unified")
            : t("connected-equity-unknown"),
        record.expiresAt === null
          ? t(record.origin === "oauth" ? "oauth-expiry" : "connected-expiry-none")
          : t("connected-expires", { date: lang.date(record.expiresAt), days: daysUntil(record.expiresAt, now) }),
        ...warnings.map((warning) => `⚠️ ${policyWarning(warning)}`),
      ].join("\n"),
    /** When copying starts, unless COPY_START_TEXT says it in the service's own words. */
    copyStartDefault: t("copy-start-default"),
    existingStays: (record: CredentialRecord) => t("existing-stays", { key: key(record) }),
    notStoredAfterPanic: t("not-stored-after-panic"),
    // The save may have gone through before the error: say what is known, and how to find out.
    saveFailed: t("save-failed"),
  };
}
