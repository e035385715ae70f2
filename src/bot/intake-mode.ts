import { run } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { Logger } from "pino";
import type { Readiness } from "../http/health.js";
import type { BotContext } from "./context.js";
import { POLLING } from "./polling.js";
import { setWebhook, setWebhookFailure, type WebhookSettings } from "./webhook.js";

export interface IntakeModeDeps {
  webhook: WebhookSettings | null;
  /** Resolves once the updates being handled are done. */
  idle(): Promise<void>;
  /** Long polling's thread could start: polling without it takes no update. */
  intakeHealthy(): boolean;
  logger: Logger;
  /** Stoppers of whatever takes work in, run first at shutdown. */
  intake: (() => Promise<unknown>)[];
  readiness: Readiness[];
}

/**
 * Starts taking updates. Webhook mode: setWebhook (the HTTP server already answers), tried again
 * with backoff while Telegram is away, and a refusal (a port Telegram does not post to, say) is one
 * line and exit 1. Polling: only while no webhook is set, since Telegram then sends updates there
 * (and a webhook set later by another replica ends polling, in one line).
 */
export async function startTakingUpdates(
  bot: Bot<BotContext>,
  { webhook, idle, intakeHealthy, logger, intake, readiness }: IntakeModeDeps,
): Promise<void> {
  if (webhook) {
    for (let wait = 1000; ; wait = Math.min(30_000, wait * 2)) {
      try {
        await setWebhook(bot, webhook);
        break;
      } catch (error) {
        const failure = setWebhookFailure(error);
        if (failure.final) {
          logger.fatal(
            `${failure.line}; check WEBHOOK_URL (Telegram posts only to https on ports 443, 80, 88 or 8443)`,
          );
          process.exit(1);
        }
        logger.warn(`${failure.line}; trying again in ${wait / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    logger.info({ bot: bot.botInfo.username, path: new URL(webhook.url).pathname }, "bot is running (webhook)");
    return;
  }
  const set = await bot.api.getWebhookInfo();
  if (set.url) {
    logger.fatal(
      `a webhook is set (${new URL(set.url).host}): Telegram sends updates there, not to long polling. Run with WEBHOOK_URL, or delete the webhook (Bot API deleteWebhook) to poll`,
    );
    process.exit(1);
  }
  const runner = run(bot, POLLING);
  void runner.task()?.catch(() => {
    logger.fatal("long polling stopped: Telegram refused getUpdates (a webhook set by another process?)");
    process.exit(1);
  });
  intake.push(async () => {
    if (runner.isRunning()) await runner.stop();
    await idle();
  });
  readiness.push({ name: "polling", check: async () => runner.isRunning() && intakeHealthy() });
  logger.info({ bot: bot.botInfo.username }, "bot is running (long polling)");
}
