import { autoRetry } from "@grammyjs/auto-retry";
import { HttpError, type Transformer } from "grammy";
import type { Logger } from "pino";

/**
 * How long a reply keeps trying through 429s, 5xx answers and network errors before it is
 * reported as failed: long enough for a Telegram outage of a few minutes, short enough that a
 * follower is not answered an hour late.
 */
const GIVE_UP_AFTER_MS = 10 * 60_000;

/**
 * grammY's auto-retry (429: waits `retry_after`; 5xx and network errors: backoff from 3 s,
 * doubling), bounded by GIVE_UP_AFTER_MS. A send that fails after Telegram took it may arrive
 * twice: a second copy of a reply is better than none. getUpdates is left to the runner.
 */
export function retryUntilDelivered(logger: Logger): Transformer {
  const retry = autoRetry({ maxDelaySeconds: 60 });
  return (previous, method, payload, signal) => {
    if (method === "getUpdates") return previous(method, payload, signal);
    const deadline = AbortSignal.timeout(GIVE_UP_AFTER_MS);
    // grammY types its signal with an older shim of the same Web API.
    const bounded = signal ? AbortSignal.any([signal as AbortSignal, deadline]) : deadline;
    // Each failed attempt is told as it happens (never the payload): an outage shows in the log at once.
    const attempt: typeof previous = async (...call) => {
      try {
        const response = await previous(...call);
        if (!response.ok && (response.error_code === 429 || response.error_code >= 500)) {
          logger.warn({ method, code: response.error_code }, "Bot API call failed; retrying");
        }
        return response;
      } catch (error) {
        if (error instanceof HttpError && !bounded.aborted) logger.warn({ method, error: "network" }, "Bot API call failed; retrying");
        throw error;
      }
    };
    return retry(attempt, method, payload, bounded as unknown as typeof signal);
  };
}
