import type { Api } from "grammy";
import type { Logger } from "pino";

/**
 * Logs Bot API calls that fail, through our logger (which scrubs the token grammY puts in
 * request URLs). The runner's own error printing is switched off for the same reason.
 */
export function logApiFailures(api: Api, logger: Logger): void {
  api.config.use(async (previous, method, payload, signal) => {
    try {
      const response = await previous(method, payload, signal);
      if (!response.ok) logger.warn({ method, code: response.error_code, description: response.description }, "Bot API call refused");
      return response;
    } catch (error) {
      if (!signal?.aborted) logger.warn({ method, err: error }, "Bot API call failed");
      throw error;
    }
  });
}
