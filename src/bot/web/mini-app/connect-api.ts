import { DEFAULT_EXCHANGE } from "../../../exchange/registry.js";
import { FLOW_LIFETIME_SECONDS } from "../../../policy/flows.js";
import type { KeySource } from "../../../use-cases/connect.js";
import type { TicketClaims } from "../../../stores/web-tickets.js";
import { replyTo } from "../../features/connect/render.js";
import { textsFor } from "../../texts.js";
import { suggestedKeyName, type NextStep } from "../../wording/connect.js";
import { placeOf } from "../../wording/sites.js";
import { connectFromWeb } from "../connect-from-web.js";
import type { WebParts } from "../features.js";
import { field, refused, type Answer, type ApiHandler } from "./api.js";
import type { Asker } from "./who.js";
import { pageWords, withoutLastParagraph } from "./words.js";

/** Bybit's keys are 18 letters and digits and its secrets 36; a little room either way, as in the chat. */
const FLOW_LIFETIME_MS = FLOW_LIFETIME_SECONDS * 1000;
const API_KEY = /^[A-Za-z0-9]{16,30}$/;
const API_SECRET = /^[A-Za-z0-9]{31,64}$/;

/** The form's ticket, issued by the bot in this follower's /connect or /rotate: its claims, or why not. */
async function ticketOf(parts: WebParts, who: Asker, body: Record<string, unknown>): Promise<TicketClaims | Answer> {
  const texts = textsFor(who.languageCode);
  const ticket = field(body, "ticket", 64);
  if (!ticket) return refused(400, texts, "no-ticket");
  const claims = await parts.webTickets.peek(ticket, "webapp");
  if (!claims) return refused(410, texts, "ticket-gone");
  // A ticket shown to someone else (a forwarded link) does nothing for them.
  if (claims.userId !== who.userId) return refused(403, texts, "not-yours");
  return claims;
}

const isAnswer = (value: TicketClaims | Answer): value is Answer => "status" in value;

/** Where the key is made: the site named in the chat, else the site of the key it replaces. */
async function stepsOf(parts: WebParts, claims: TicketClaims) {
  const previous = await parts.credentials.current(claims.userId);
  const place = claims.site
    ? placeOf({ exchange: DEFAULT_EXCHANGE, site: claims.site })
    : previous
      ? placeOf(previous)
      : null;
  return { previous, keyName: suggestedKeyName(parts.clock()), makeAt: place?.apiManagementUrl };
}

type Steps = Awaited<ReturnType<typeof stepsOf>>;

/** The connect page opens: its words, in the chat's language, and how to make a key with a secret. */
export const openConnect =
  (parts: WebParts): ApiHandler =>
  async (who, body) => {
    const claims = await ticketOf(parts, who, body);
    if (isAnswer(claims)) return claims;
    const texts = textsFor(claims.languageCode);
    const steps = await stepsOf(parts, claims);
    const { previous, keyName, makeAt } = steps;
    const intro = claims.mode === "rotate" && previous ? texts.rotateIntro(previous) : texts.connectIntro;
    const hmacSteps = withoutLastParagraph(texts.secretKeySteps(parts.egressIps, keyName, makeAt));
    // A pair made earlier (the page reopened after a trip to Bybit) is shown again, never silently replaced:
    // its public key may be in Bybit already.
    const waiting = await parts.pendingKeyPairs.waiting(claims.userId, parts.clock());
    const pair = waiting ? pairAnswer(parts, claims, steps, waiting.publicKeyPem, waiting.leftMs) : null;
    return { status: 200, body: { words: pageWords(claims.languageCode), intro, hmacSteps, pair } };
  };

/** The public key and its steps, as the page shows them (`leftMs`: how long the pair has left). */
function pairAnswer(
  parts: WebParts,
  claims: TicketClaims,
  { keyName, makeAt }: Steps,
  publicKeyPem: string,
  leftMs: number,
) {
  const texts = textsFor(claims.languageCode);
  const minutes = Math.max(1, Math.floor(leftMs / 60_000));
  const steps = withoutLastParagraph(texts.publicKeySteps(parts.egressIps, minutes, keyName, makeAt));
  const then = texts.lang.t("webapp-pair-then", { minutes });
  return { publicKeyPem, html: `${texts.publicKeyAlone(publicKeyPem)}\n\n${steps}\n\n${then}` };
}

/** "Make the key for me": a key pair for this follower (its own limits), its public key and the steps. */
export const issuePair =
  (parts: WebParts): ApiHandler =>
  async (who, body) => {
    const claims = await ticketOf(parts, who, body);
    if (isAnswer(claims)) return claims;
    const texts = textsFor(claims.languageCode);
    const issued = await parts.pendingKeyPairs.issue(claims.userId, parts.clock());
    if ("retryInMs" in issued)
      return { status: 429, body: { html: texts.pairsPaused(Math.ceil(issued.retryInMs / 60_000)) } };
    // The pair may be one given again (tapped within a minute, or over the limit): its time left.
    const leftMs = (await parts.pendingKeyPairs.waiting(claims.userId, parts.clock()))?.leftMs;
    const steps = await stepsOf(parts, claims);
    return { status: 200, body: pairAnswer(parts, claims, steps, issued.publicKeyPem, leftMs ?? FLOW_LIFETIME_MS) };
  };

/**
 * The in-page Connect: the key (and secret) checked and stored by the connect use case, exactly as in the
 * chat (connect-from-web.ts: same limits, Bybit budget, records and recovery), the outcome told in the
 * chat and shown here. The ticket is spent; a refusal comes with a fresh one, to fix the key and try again.
 */
export const connectKey =
  (parts: WebParts): ApiHandler =>
  async (who, body) => {
    const claims = await ticketOf(parts, who, body);
    if (isAnswer(claims)) return claims;
    const texts = textsFor(claims.languageCode);
    const rsa = body.way === "rsa";
    const apiKey = field(body, "apiKey", 128);
    const apiSecret = rsa ? "" : field(body, "apiSecret", 256);
    if (!API_KEY.test(apiKey)) return refused(400, texts, "bad-key");
    if (!rsa && !API_SECRET.test(apiSecret)) return refused(400, texts, "bad-secret");
    const redeemed = await parts.webTickets.redeem(field(body, "ticket", 64), "webapp");
    if (!redeemed || redeemed.userId !== who.userId) return refused(410, texts, "ticket-gone");
    const source: KeySource = rsa ? { type: "rsa", apiKey } : { type: "hmac", credentials: { apiKey, apiSecret } };
    // With our key pair still waiting, a refused key is fixed in Bybit and sent again, as in the chat.
    const next: NextStep = rsa ? "resend" : redeemed.mode;
    const result = await connectFromWeb(parts, redeemed, () => Promise.resolve(source), next);
    // Redis refused even the record of the check: nothing was asked or stored, and the chat will hear nothing.
    if (result.kind === "unrecorded") return refused(503, texts, "not-begun");
    if (result.kind !== "checked") return refused(503, texts, "cut-short");
    const { admission, previous } = result;
    const html = replyTo(texts, parts, admission, previous, next);
    const again = admission.outcome === "refused" || admission.outcome === "pair-expired";
    const { issuedAt: _issuedAt, ...flow } = redeemed;
    const ticket = again ? await parts.webTickets.issue(flow, parts.clock()) : null;
    return { status: 200, body: { outcome: admission.outcome, html, ticket } };
  };
