import type { Lang } from "../i18n.js";

/** What a follower hears when a restart cut their update short: what happened, and what to do next. */
export function restartTexts({ t }: Lang) {
  return {
    restartUnansweredKey: t("restart-unanswered-key"),
    restartUnanswered: t("restart-unanswered"),
    restartPanicSteps: t("restart-panic-steps"),
  };
}
