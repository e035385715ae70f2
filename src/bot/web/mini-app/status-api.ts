import { status } from "../../../use-cases/status.js";
import { textsFor } from "../../texts.js";
import type { WebParts } from "../features.js";
import type { ApiHandler } from "./api.js";
import { pageWords } from "./words.js";

/** A moment on the key's timeline: when (epoch ms), what it is, and its day as the follower reads it. */
interface Moment {
  at: number;
  label: string;
  date: string;
}

/**
 * The status page: the key's life as the chat's /status tells it (and the keys frozen by /panic still
 * open), plus the moments of its timeline for the picture: created, the rotation day (a reminder), the
 * warnings a week and a day before expiry, expiry (a reminder) and today.
 */
export const openStatus =
  (parts: WebParts): ApiHandler =>
  async (who) => {
    const texts = textsFor(who.languageCode);
    const { lang } = texts;
    const found = await status(parts, who.userId);
    const frozen = found.frozen.map((flow) => texts.frozenNotice(flow.record));
    const words = pageWords(who.languageCode);
    if (found.kind === "none") {
      const { lastRevoked } = found;
      const html = lastRevoked ? `${texts.lastRevoked(lastRevoked)}\n\n${texts.noKey}` : texts.noKey;
      return { status: 200, body: { words, html, frozen, timeline: null } };
    }
    const { record, reminders, now } = found;
    const moment = (at: number, label: string): Moment => ({ at, label, date: lang.date(at) });
    const timeline = {
      created: moment(record.createdAt, lang.t("webapp-created")),
      rotate: moment(reminders.rotate, lang.t("webapp-rotate-day", { days: parts.rotation.rotateAfterDays })),
      expiry: moment(reminders.expiry, lang.t("webapp-expiry")),
      today: moment(now, lang.t("webapp-today")),
      // A key out of use gets no reminders: they are drawn only for a working one.
      reminders: record.status === "active",
      // The warnings still to come, a week and a day before expiry.
      warnings: [reminders["expiry-7d"], reminders["expiry-1d"]].filter((at) => at > now),
      status: record.status,
      reminderWord: lang.t("webapp-reminder"),
      label: lang.t("webapp-timeline-label", {
        created: lang.date(record.createdAt),
        rotate: lang.date(reminders.rotate),
        expiry: lang.date(reminders.expiry),
        today: lang.date(now),
      }),
    };
    return { status: 200, body: { words, html: texts.status(record, reminders, now), frozen, timeline } };
  };
