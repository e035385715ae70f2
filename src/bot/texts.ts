import type { Context } from "grammy";
import { DAY_MS } from "../policy/key-policy.js";
import { siteLine } from "./wording/sites.js";
import type { ReminderTimes } from "../policy/rotation.js";
import type { CredentialRecord } from "../stores/credential-store.js";
import type { FlowExpiry } from "./context.js";
import { connectTexts } from "./wording/connect.js";
import { oauthTexts } from "./wording/oauth.js";
import { deletionTexts } from "./wording/deletion.js";
import { daysLeft, daysUntil, describePermissions, keyLabel } from "./wording/format.js";
import { panicTexts } from "./wording/panic.js";
import { restartTexts } from "./wording/restarts.js";
import { watchTexts } from "./wording/watch.js";
import { langFor, pickLocale, type Lang, type Locale } from "./i18n.js";

/**
 * Every word the bot says, in one language: the words live in src/locales, and this puts them
 * together. Copy is short and plain, says what happened and what to do next, and never repeats
 * anything the follower sent.
 */

/** The command menu, in the order followers see it. */
export const COMMANDS = [
  "start",
  "help",
  "connect",
  "status",
  "rotate",
  "disconnect",
  "panic",
  "forget",
  "cancel",
] as const;

function buildTexts(lang: Lang) {
  const { t } = lang;
  const key = (record: { name: string; maskedKey: string }) => keyLabel(lang, record.name, record.maskedKey);
  const statusWords = (status: CredentialRecord["status"]) => t(`status-${status}`);
  return {
    lang,
    commandDescriptions: COMMANDS.map((command) => ({ command, description: t(`command-${command}`) })),
    startIntro: (rotateAfterDays: number) => t("start-intro", { days: rotateAfterDays }),
    startNextConnect: t("start-next-connect"),
    startConnectButton: t("start-connect-button"),
    startNextConnected: (record: CredentialRecord) => t("start-next-connected", { key: key(record) }),
    help: t("help"),
    chatter: t("chatter"),
    chatterInFlow: t("chatter-in-flow"),
    ...connectTexts(lang),
    ...oauthTexts(lang),
    ...deletionTexts(lang),
    ...panicTexts(lang),
    ...restartTexts(lang),
    ...watchTexts(lang),

    cancelled: t("cancelled"),
    flowEndedByCommand: t("flow-ended-by-command"),
    cancelledKeyStays: (record: CredentialRecord) => t("cancelled-key-stays", { key: key(record) }),
    cancelButton: t("cancel-button"),
    nothingToCancel: t("nothing-to-cancel"),
    looseCredential: t("loose-credential"),
    flowExpired: ({ minutes, publicKeyOut }: FlowExpiry) =>
      t(publicKeyOut ? "flow-expired-public-key" : "flow-expired", { minutes }),

    groupKeysOnlyInPrivate: (botUsername: string) => t("group-keys-only-in-private", { bot: botUsername }),
    groupDeletedCredential: (botUsername: string) => t("group-deleted-credential", { bot: botUsername }),
    groupDeletingCredential: (botUsername: string) => t("group-deleting-credential", { bot: botUsername }),

    buttonExpired: t("button-expired"),
    buttonForOldKey: t("button-for-old-key"),
    buttonForOldKeyNone: t("button-for-old-key-none"),
    keyUnreadable: (record: CredentialRecord) => t("key-unreadable", { key: key(record) }),
    slowDown: (seconds: number) => t("slow-down", { seconds }),
    status: (record: CredentialRecord, times: ReminderTimes, now: number) =>
      [
        t("status-key", { key: key(record), state: statusWords(record.status) }),
        ...siteLine(lang, record),
        t("status-permissions", { permissions: describePermissions(lang, record.permissions) }),
        t(record.keyType === "rsa" ? "status-kind-rsa" : "status-kind-hmac"),
        t("status-created", { date: lang.date(record.createdAt) }),
        record.expiresAt === null
          ? t("status-expires-never", { date: lang.date(times.expiry), left: daysLeft(lang, times.expiry, now) })
          : t("status-expires", { date: lang.date(record.expiresAt), left: daysLeft(lang, record.expiresAt, now) }),
        record.status !== "active"
          ? t("status-rotate-inactive")
          : times.rotate > now
            ? t("status-reminders", { rotate: lang.date(times.rotate), expiry: lang.date(times.expiry) })
            : t("status-rotation-due", { expiry: lang.date(times.expiry) }),
      ].join("\n"),
    noKey: t("no-key"),
    lastRevoked: (facts: { keyName: string; maskedKey: string; frozenAt: number; revokedVerified: boolean }) =>
      `${t("last-revoked", { key: keyLabel(lang, facts.keyName, facts.maskedKey), date: lang.date(facts.frozenAt) })} ${t(
        facts.revokedVerified ? "last-revoked-verified" : "last-revoked-unverified",
      )}`,

    reminderRotate: (record: CredentialRecord, now: number) => {
      const days = Math.floor((now - record.createdAt) / DAY_MS);
      // A key Bybit made for our app never expires there: the advice to replace it stands, and says so.
      if (record.origin === "oauth") return t("reminder-rotate-oauth", { key: key(record), days });
      return record.expiresAt === null
        ? t("reminder-rotate", { key: key(record), days })
        : t("reminder-rotate-expires", { key: key(record), days, date: lang.date(record.expiresAt) });
    },
    /** A week or a day before the key expires (`expiresAt`: Bybit's, or the service's own limit). */
    reminderExpiresSoon: (record: CredentialRecord, expiresAt: number, now: number) =>
      t("reminder-expires-soon", { key: key(record), days: daysUntil(expiresAt, now), date: lang.date(expiresAt) }),
    reminderExpired: (record: CredentialRecord) => t("reminder-expired", { key: key(record) }),
    rotateNowButton: t("rotate-now-button"),

    disconnectConfirm: (record: CredentialRecord) => t("disconnect-confirm", { key: key(record) }),
    disconnectButton: t("disconnect-button"),
    disconnected: (record: CredentialRecord) => t("disconnected", { key: key(record) }),
    disconnectKept: t("disconnect-kept"),

    forgetConfirm: t("forget-confirm"),
    forgetButton: t("forget-button"),
    forgetKept: t("forget-kept"),
    forgotten: t("forgotten"),

    /** Said when an update failed somewhere unknown: what it did before failing is not known either. */
    somethingWentWrong: t("something-went-wrong"),
  };
}

export type Texts = ReturnType<typeof buildTexts>;

const built = new Map<Locale, Texts>();

/** The texts of one language (a locale we have, or English). */
export function textsFor(languageCode: string | undefined | null): Texts {
  const locale = pickLocale(languageCode);
  let texts = built.get(locale);
  if (!texts) built.set(locale, (texts = buildTexts(langFor(locale))));
  return texts;
}

/** The texts in the language of whoever sent this update. */
export const textsOf = (ctx: Pick<Context, "from">): Texts => textsFor(ctx.from?.language_code);
