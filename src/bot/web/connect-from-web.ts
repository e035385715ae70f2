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
 * A key that came from the web (a Bybit OAuth callback, a Mini App form) for the follower of a redeemed
 * ticket: checked and stored by the connect use case, as in the chat, and the outcome told in the chat
 * too, in the follower's language. Connected: the chat's own flow ends (its state is dropped). Recorded
 * as a check under way like the chat's, so that a crash or a Redis fault still has the follower told
 * (interrupted.ts, cut-short.ts). Null: a fault cut the check short; the chat is told once Redis is back.
 */
export async function connectFromWeb(
  deps: WebConnectDeps,
  claims: TicketClaims,
  source: KeySource,
  next: NextStep,
): Promise<WebConnectResult | null> {
  const { userId, chatId } = claims;
  const previous = await deps.credentials.current(userId);
  const previousRef = previous?.ref ?? null;
  await deps.checksUnderWay.begin(userId, previousRef, Date.now());
  const beating = setInterval(
    () => void deps.checksUnderWay.beat(userId, previousRef, Date.now()).catch(() => undefined),
    deps.recoveryBeatMs ?? 5000,
  );
  let admission: Admission;
  try {
    admission = await admit(deps, userId, source, {
      previous,
      panicEpoch: claims.panicEpoch,
      ...(claims.site ? { site: claims.site } : {}),
    });
  } catch (error) {
    deps.logger.warn({ err: error, userId }, "a key check from the web was cut short; told when Redis takes writes");
    deps.cutShort.owe({ userId, previousRef, recorded: true });
    return null;
  } finally {
    clearInterval(beating);
  }
  if (admission.outcome === "save-failed") {
    deps.cutShort.owe({ userId, previousRef, recorded: true });
    return null;
  }
  if (admission.outcome === "connected") await deps.dropFlowState(userId).catch(() => undefined);
  const texts = textsFor(claims.languageCode);
  await deps.api
    .sendMessage(chatId, replyTo(texts, deps, admission, previous, next), { parse_mode: "HTML" })
    .catch((error: unknown) => deps.logger.warn({ err: error, userId }, "the chat could not be told a web outcome"));
  await deps.checksUnderWay.end(userId, previousRef).catch(() => false);
  return { admission, previous };
}
