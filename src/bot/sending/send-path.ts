import { pause } from "../../infra/pause.js";
import type { ApiClientOptions } from "grammy";
import nodeFetch, { Response, type RequestInit } from "node-fetch";
import type { Logger } from "pino";
import type { RateBudget } from "../../budget/rate-budget.js";
import type { Metrics } from "../../metrics/metrics.js";
import { bucketsFor, isSend, type SendLane, type TelegramLimits } from "./budget.js";

export interface SendPathDeps {
  budget: RateBudget;
  logger: Logger;
  metrics: Metrics;
  /** Telegram's (the default). */
  telegramLimits?: TelegramLimits;
}

/**
 * How long a reply keeps trying through 429s, 5xx answers and network errors: a Telegram outage
 * of a few minutes, inside grammY's own 500-second limit on a call.
 */
const RETRY_FOR_MS = 5 * 60_000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const MAX_RETRY_AFTER_MS = 60_000;

type Fetch = NonNullable<ApiClientOptions["fetch"]>;

/**
 * The one way out for every Bot API call of a process, given to grammY as its `fetch`: each
 * attempt at sending a message takes its place in the budget shared through Redis; replies are
 * retried through 429 (after `retry_after`), 5xx and network errors for up to five minutes (the
 * reminder worker retries through BullMQ instead); what fails for good is logged (method and
 * code, never the payload) and counted.
 *
 * At this level rather than as API transformers (grammY's auto-retry and throttler plugins):
 * the conversations plugin builds each conversation's Api afresh from the client options, so
 * the bot's transformers never reach the replies a flow sends, and a transformer installed
 * through the conversation's plugins sits above its replay log, where every replay would
 * repeat the waits of earlier retries. A fetch sits below the log: replays never reach it.
 * A send that failed after Telegram took it may arrive twice: a second copy beats none.
 */
export function sendPath(lane: SendLane, deps: SendPathDeps): Fetch {
  const send = async (url: string, init: RequestInit): Promise<Response> => {
    const method = url.slice(url.lastIndexOf("/") + 1);
    // Long polling is the runner's to retry; a file upload (a stream) could not be sent twice.
    if (method === "getUpdates" || typeof init.body !== "string") return once(method, url, init);
    const buckets = isSend(method) ? bucketsFor(chatIdIn(init.body), lane, deps.telegramLimits) : null;
    const signal = init.signal as AbortSignal | null | undefined;
    const giveUpAt = Date.now() + (lane === "reply" ? RETRY_FOR_MS : 0);
    for (let attempt = 0; ; attempt += 1) {
      // Replies book their place; the background takes only what no reply has booked.
      if (buckets)
        await deps.budget
          .take(buckets, signal ?? undefined, lane === "reply" ? "queue" : "yield")
          .catch((error: unknown) => Promise.reject(failed(method, 0, error, "budget")));
      let response: Response;
      try {
        response = await nodeFetch(url, init);
      } catch (error) {
        const wait = backoff(attempt);
        if (signal?.aborted || Date.now() + wait > giveUpAt) throw failed(method, 0, error);
        deps.logger.warn({ method, error: "network" }, "Bot API call failed; retrying");
        await pause(wait, signal);
        continue;
      }
      if (response.status !== 429 && response.status < 500) {
        if (!response.ok) refused(method, response.status);
        return response;
      }
      const text = await response.text();
      const wait = response.status === 429 ? retryAfterMs(text) : backoff(attempt);
      if (signal?.aborted || Date.now() + wait > giveUpAt) {
        refused(method, response.status);
        return new Response(text, { status: response.status, headers: response.headers });
      }
      deps.logger.warn({ method, code: response.status }, "Bot API call failed; retrying");
      await pause(wait, signal);
    }
  };

  async function once(method: string, url: string, init: RequestInit): Promise<Response> {
    try {
      const response = await nodeFetch(url, init);
      if (!response.ok) refused(method, response.status);
      return response;
    } catch (error) {
      // Aborted: the runner stopping, not a failure.
      if ((init.signal as AbortSignal | null | undefined)?.aborted) throw error;
      throw failed(method, 0, error);
    }
  }

  function refused(method: string, code: number): void {
    deps.metrics.telegramFailures.inc({ method, code: String(code) });
    deps.logger.warn({ method, code }, "Bot API call refused");
  }

  function failed(method: string, code: number, error: unknown, cause: "network" | "budget" = "network"): unknown {
    deps.metrics.telegramFailures.inc({ method, code: String(code) });
    // The error's message holds the URL, and with it the bot token: only its kind is logged.
    deps.logger.warn({ method, error: cause }, "Bot API call failed");
    return error;
  }

  return send as unknown as Fetch;
}

const backoff = (attempt: number) => Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);

function retryAfterMs(text: string): number {
  try {
    const seconds = (JSON.parse(text) as { parameters?: { retry_after?: number } }).parameters?.retry_after;
    return Math.min(MAX_RETRY_AFTER_MS, typeof seconds === "number" ? seconds * 1000 : 1000);
  } catch {
    return 1000;
  }
}

function chatIdIn(body: string): unknown {
  try {
    return (JSON.parse(body) as { chat_id?: unknown }).chat_id;
  } catch {
    return undefined;
  }
}
