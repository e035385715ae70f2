import { HttpError, type Api } from "grammy";
import type { Logger } from "pino";
import type { Metrics } from "../../metrics/metrics.js";

/**
 * Logs and counts Bot API calls that failed for good, after any retries, through our logger
 * (which scrubs the token grammY puts in request URLs). Never the payload: it is the message.
 * The runner's own error printing is switched off for the same reason.
 */
export function reportFinalFailures(api: Api, logger: Logger, metrics: Metrics): void {
  api.config.use(async (previous, method, payload, signal) => {
    try {
      const response = await previous(method, payload, signal);
      if (!response.ok) {
        metrics.telegramFailures.inc({ method, code: String(response.error_code) });
        logger.warn({ method, code: response.error_code, description: response.description }, "Bot API call refused");
      }
      return response;
    } catch (error) {
      if (!signal?.aborted) {
        metrics.telegramFailures.inc({ method, code: "0" });
        // An HttpError's message holds the URL, and with it the token: only its kind is logged.
        logger.warn({ method, error: error instanceof HttpError ? "network" : (error as Error).name }, "Bot API call failed");
      }
      throw error;
    }
  });
}
