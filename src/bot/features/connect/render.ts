// The chat's rendering of a key check's outcome: the connect use case (use-cases/connect.ts) says what
// happened, in plain facts; this says it to the follower, in their language, with what to send next.
import type { CredentialRecord } from "../../../stores/credential-store.js";
import { escapeHtml } from "../../wording/format.js";
import { placeOf } from "../../wording/sites.js";
import type { NextStep } from "../../wording/connect.js";
import type { Texts } from "../../texts.js";
import { FLOW_LIFETIME_SECONDS } from "../../../policy/flows.js";
import type { Admission, Refusal } from "../../../use-cases/connect.js";
import { ANSWERS_ABOUT_KEY } from "../../../exchange/port.js";

const FLOW_MINUTES = FLOW_LIFETIME_SECONDS / 60;

/** What "Connected" also says: when copying starts, in the operator's words if given. */
export interface RenderSettings {
  copyStartText: string | null;
}

export function replyTo(
  texts: Texts,
  deps: RenderSettings,
  admission: Admission,
  previous: CredentialRecord | null,
  next: NextStep,
): string {
  const kept = admission.outcome === "refused" && admission.current !== undefined ? admission.current : previous;
  const stays = kept?.status === "active" ? `\n\n${texts.existingStays(kept)}` : "";
  switch (admission.outcome) {
    case "refused":
      return (
        (admission.origin === "oauth" && fromAppKey(admission.refusal)
          ? texts.oauthRefused(appKeyPlace(admission.refusal))
          : refusalText(texts, admission.refusal, next)) + stays
      );
    case "pair-expired":
      return texts.pairExpired(FLOW_MINUTES) + stays;
    case "save-failed":
      return texts.saveFailed;
    case "panicked":
      return texts.notStoredAfterPanic;
    case "connected":
      return [
        texts.connected(admission.record, admission.equityUsd, admission.warnings, admission.now),
        deps.copyStartText === null ? texts.copyStartDefault : escapeHtml(deps.copyStartText),
        ...(admission.times ? [texts.reminderSchedule(admission.times, admission.now)] : []),
        ...(previous ? [texts.deleteOldKey(previous)] : []),
      ].join("\n\n");
  }
}

/**
 * A key Bybit issued to our app and then refused, or that our rules refuse: nothing the follower can fix
 * (its permissions and IPs are the app's), only delete; the app's settings are at odds with ours, which is
 * the operator's to mend. Timeouts and the like are said as for any key.
 */
export const fromAppKey = (refusal: Refusal) =>
  refusal.kind === "policy" ||
  (refusal.kind === "exchange" &&
    (ANSWERS_ABOUT_KEY.has(refusal.failure) ||
      refusal.failure === "unsupported-site" ||
      refusal.failure === "region-restricted"));

const appKeyPlace = (refusal: Refusal) =>
  refusal.kind === "exchange" && refusal.site !== undefined
    ? { exchange: refusal.exchange, site: refusal.site }
    : undefined;

/** A refusal in the follower's words, with what to send next. */
function refusalText(texts: Texts, refusal: Refusal, next: NextStep): string {
  switch (refusal.kind) {
    case "too-many-checks":
      return texts.tooManyChecks(refusal.waitSeconds, next);
    case "denied":
      return texts.keyDenied(next);
    case "shared":
      return texts.keyShared(next, placeOf(refusal));
    case "exchange":
      if (refusal.searched === false) return texts.unknownOnMainSite(next);
      return texts.exchangeFailure(
        refusal.failure,
        refusal.keyType,
        next,
        refusal.site === undefined ? undefined : placeOf({ exchange: refusal.exchange, site: refusal.site }),
      );
    case "same-key":
      return texts.sameKey(next);
    case "policy":
      return texts.refused(refusal.keyName, refusal.reasons, next);
  }
}
