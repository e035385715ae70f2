import type { Logger } from "pino";
import type { Route } from "../../../http/routes.js";
import { textsFor, type Texts } from "../../texts.js";
import { BODY_DEADLINE_MS, readJson, sendJson } from "./http.js";
import { whoIsAsking, type Asker } from "./who.js";
import { refusalText, type Refusal } from "./words.js";

/** What an API call of the page answers: its HTTP status and a JSON body. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** Headers of its own (a cookie), beside the page's security headers. */
  headers?: Record<string, string>;
}

/** A refusal, as the page shows it: why (for the page's logic) and the words (HTML, Telegram's subset). */
export const refused = (status: number, texts: Texts, refusal: Refusal): Answer => ({
  status,
  body: { refused: refusal, html: refusalText(texts, refusal) },
});

export type ApiHandler = (who: Asker, body: Record<string, unknown>) => Promise<Answer>;

const HTTP_OF = { missing: 401, forged: 401, stale: 401 } as const;

/**
 * A POST of the page's API: the body read (bounded, JSON only), then who is asking, from Telegram's signed
 * initData (never a query string): forged, stale or missing, the answer says so and nothing else happens.
 * A failure is logged by kind only (the body may hold a secret) and answered in the follower's language.
 */
export function apiRoute(
  path: string,
  botToken: string,
  logger: Logger,
  handler: ApiHandler,
  bodyDeadlineMs = BODY_DEADLINE_MS,
): Route {
  return {
    method: "POST",
    path,
    async handle(request, response) {
      const read = await readJson(request, bodyDeadlineMs);
      if (!read.ok && read.problem === "too-slow") {
        // The connection is closed behind the answer: what is still trickling in is never read.
        response.shouldKeepAlive = false;
        response.once("finish", () => request.socket.destroy());
        return sendJson(response, 408, { refused: "too-slow" });
      }
      const who = whoIsAsking(request.headers.authorization, botToken, Date.now());
      const texts = textsFor(who.languageCode);
      if ("refused" in who) {
        logger.info({ route: path, refused: who.refused }, "a Mini App request was not believed");
        return sendJson(response, HTTP_OF[who.refused], {
          refused: who.refused,
          html: refusalText(texts, who.refused),
        });
      }
      if (!read.ok || typeof read.body !== "object" || read.body === null || Array.isArray(read.body)) {
        const problem = read.ok ? "not-json" : read.problem;
        const answer = problem === "too-large" ? refused(413, texts, "too-large") : refused(400, texts, "failed");
        return sendJson(response, answer.status, answer.body);
      }
      try {
        const answer = await handler(who, read.body as Record<string, unknown>);
        sendJson(response, answer.status, answer.body, answer.headers);
      } catch (error) {
        const kind = error instanceof Error ? error.name : typeof error;
        logger.error({ route: path, userId: who.userId, kind }, "a Mini App request failed");
        const answer = refused(500, texts, "failed");
        if (!response.headersSent) sendJson(response, answer.status, answer.body);
      }
    },
  };
}

/** A string field of the body, trimmed and without invisible characters; "" when absent or not a string. */
export function field(body: Record<string, unknown>, name: string, max: number): string {
  const value = body[name];
  if (typeof value !== "string" || value.length > max) return "";
  return value.replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, "").trim();
}
