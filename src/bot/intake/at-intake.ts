import type { Api } from "grammy";
import type { Logger } from "pino";
import { atMost } from "../../infra/pause.js";
import type { Metrics } from "../../metrics/metrics.js";
import { NoAnswer, type IntakeThread } from "./intake-client.js";
import type { Shredder } from "./shredder.js";

/** How long a batch waits for its pending-deletion records before it is handled all the same (Redis away). */
const RECORDS_WAIT_MS = 2000;

export interface AtIntakeDeps {
  logger: Logger;
  metrics: Metrics;
}

/**
 * With long polling, credential-like messages are deleted the moment a batch of updates arrives,
 * before any update of the batch is handled: getUpdates goes through a thread of its own
 * (intake-thread.ts), which asks for the deletions before it hands the batch over. Under a
 * burst the main thread is busy with the batch before; that thread is not.
 *
 * The batch goes on to be handled only once each deletion's pending record is in Redis (written
 * here, once the requests are on the wire). Telegram takes a batch as delivered only when the
 * next getUpdates asks past it, which waits for this: a crash before a record is written leaves
 * the update undelivered, and the next process gets it again and deletes the message then.
 */
export function shredAtIntake(api: Api, shredder: Shredder, intake: IntakeThread, deps: AtIntakeDeps): void {
  api.config.use(async (previous, method, payload, signal) => {
    if (method !== "getUpdates") return previous(method, payload, signal);
    let fetched;
    try {
      fetched = await intake.getUpdates(payload as Record<string, unknown>, signal as AbortSignal | undefined);
    } catch (error) {
      // Aborted: polling stops, not a failure; a thread that failed is logged as such. The runner tries again.
      if (!signal?.aborted && error instanceof NoAnswer) failed(deps, 0);
      throw error;
    }
    const { firsts, status, text } = fetched;
    if (firsts.length > 0) {
      const [messages, sent] = [firsts.map(({ message }) => message), firsts.map(({ first }) => first)];
      await atMost(shredder.shredBatch(messages, performance.now(), sent), RECORDS_WAIT_MS);
    }
    let answer: { ok: boolean };
    try {
      answer = JSON.parse(text) as { ok: boolean };
    } catch {
      failed(deps, status);
      throw new Error(`getUpdates was answered ${status} with a body that is not JSON`);
    }
    if (!answer.ok) failed(deps, status, "refused");
    return answer as Awaited<ReturnType<typeof previous>>;
  });
}

/** As the send path reports every other call (sending/send-path.ts): method and code, never the URL. */
function failed({ logger, metrics }: AtIntakeDeps, code: number, how: "failed" | "refused" = "failed"): void {
  metrics.telegramFailures.inc({ method: "getUpdates", code: String(code) });
  if (how === "refused") logger.warn({ method: "getUpdates", code }, "Bot API call refused");
  else logger.warn({ method: "getUpdates", error: "network" }, "Bot API call failed");
}
