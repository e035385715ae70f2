import { whileBeating } from "../beating.js";
import { CHECK_BEAT_MS } from "../features/connect/check-under-watch.js";
import { replyTo } from "../features/connect/render.js";
import type { NextStep } from "../wording/connect.js";
import { textsFor } from "../texts.js";
import { admit, type Admission, type KeySource } from "../../use-cases/connect.js";
import type { CredentialRecord } from "../../stores/credential-store.js";
import type { TicketClaims } from "../../stores/web-tickets.js";
import type { WebParts } from "./features.js";

export type WebConnectDeps = WebParts;

/** What the web side renders: the outcome, and the key it replaced (or kept), if any. */
export interface WebConnectResult {
  admission: Admission;
  previous: CredentialRecord | null;
}

/**
 * `unrecorded`: Redis refused even the record of a check under way, so nothing was asked of anyone (the
 * caller says so at once). `not-obtained`: `obtain` gave no key (the caller tells why). `cut-short`: a fault
 * cut the check short; the chat is told once Redis is back (cut-short.ts), or after a restart.
 */
export type WebConnectOutcome =
  ({ kind: "checked" } & WebConnectResult) | { kind: "unrecorded" } | { kind: "not-obtained" } | { kind: "cut-short" };

/**
 * A key that comes from the web (a Bybit OAuth callback, a Mini App form) for the follower of a redeemed
 * ticket: `obtain` fetches it (exchanging an OAuth code: after this, Bybit has made a key), then the connect
 * use case checks and stores it, as in the chat, and the outcome is told in the chat too, in the follower's
 * language. Connected: the chat's own flow ends (its state is dropped). The check is recorded as under way
 * before `obtain` is called, so that a crash at any point after (during the exchange, the check, the save,
 * or before the chat is told) still has the follower told by the crash sweep (interrupted.ts).
 */
export async function connectFromWeb(
  deps: WebConnectDeps,
  claims: TicketClaims,
  obtain: () => Promise<KeySource | null>,
  next: NextStep,
): Promise<WebConnectOutcome> {
  const { userId, chatId } = claims;
  let previous: CredentialRecord | null;
  try {
    previous = await deps.credentials.current(userId);
    await deps.checksUnderWay.begin(userId, previous?.ref ?? null, Date.now());
  } catch (error) {
    deps.logger.warn({ err: error, userId }, "a key check from the web could not begin; nothing was asked");
    return { kind: "unrecorded" };
  }
  const previousRef = previous?.ref ?? null;
  const beat = () => deps.checksUnderWay.beat(userId, previousRef, Date.now());
  let admission: Admission | null;
  try {
    admission = await whileBeating(beat, deps.recoveryBeatMs ?? CHECK_BEAT_MS, async () => {
      const source = await obtain();
      if (!source) return null;
      return admit(deps, userId, source, {
        previous,
        panicEpoch: claims.panicEpoch,
        ...(claims.site ? { site: claims.site } : {}),
      });
    });
  } catch (error) {
    deps.logger.warn({ err: error, userId }, "a key check from the web was cut short; told when Redis takes writes");
    deps.cutShort.owe({ userId, previousRef, recorded: true });
    return { kind: "cut-short" };
  }
  if (!admission) {
    await deps.checksUnderWay.end(userId, previousRef).catch(() => false);
    return { kind: "not-obtained" };
  }
  if (admission.outcome === "save-failed") {
    deps.cutShort.owe({ userId, previousRef, recorded: true });
    return { kind: "cut-short" };
  }
  if (admission.outcome === "connected") await deps.dropFlowState(userId).catch(() => undefined);
  const texts = textsFor(claims.languageCode);
  const told = await deps.api
    .sendMessage(chatId, replyTo(texts, deps, admission, previous, next), { parse_mode: "HTML" })
    .then(() => true)
    .catch((error: unknown) => {
      deps.logger.warn({ err: error, userId }, "the chat could not be told a web outcome; the crash sweep will");
      return false;
    });
  // Untold, the record stays, beating no more: the crash sweep claims it and tells what was stored.
  if (told) await deps.checksUnderWay.end(userId, previousRef).catch(() => false);
  return { kind: "checked", admission, previous };
}
