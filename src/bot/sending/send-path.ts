import type { Api } from "grammy";
import type { Logger } from "pino";
import type { RateBudget } from "../../budget/rate-budget.js";
import type { Metrics } from "../../metrics/metrics.js";
import { sendBudget, type SendLane } from "./budget.js";
import { reportFinalFailures } from "./failures.js";
import { retryUntilDelivered } from "./retries.js";

export interface SendPathDeps {
  budget: RateBudget;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The one way out for every Bot API call of a process: each attempt takes its place in the
 * shared budget, replies are retried until delivered (the reminder worker retries through
 * BullMQ instead), and what fails for good is logged and counted. Innermost first.
 */
export function useSendPath(api: Api, lane: SendLane, deps: SendPathDeps): void {
  api.config.use(sendBudget(deps.budget, lane));
  if (lane === "reply") api.config.use(retryUntilDelivered(deps.logger));
  reportFinalFailures(api, deps.logger, deps.metrics);
}
