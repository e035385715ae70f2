import { timingSafeEqual } from "node:crypto";
import type http from "node:http";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import { BotError, GrammyError, HttpError, webhookCallback, type Bot } from "grammy";
import type { BotContext } from "./context.js";
import { reply, type Route } from "../http/routes.js";

/** What the bot handles, and nothing else: Telegram need not send the rest. */
export const ALLOWED_UPDATES = [
  "message",
  "edited_message",
  "channel_post",
  "edited_channel_post",
  "business_connection",
  "business_message",
  "edited_business_message",
  "callback_query",
  "my_chat_member",
] as const;

export interface WebhookSettings {
  url: string;
  secret: string;
  maxConnections: number;
}

export type WebhookHandler = (request: http.IncomingMessage, response: http.ServerResponse) => Promise<unknown>;

/**
 * Webhook mode's handler. Telegram posts a chat's updates one at a time (the next only after our
 * answer to the last), and chats in parallel: answering once an update is handled keeps each chat
 * in order across replicas behind any load balancer. The secret token is checked by grammY's
 * adapter (401, body unread). An update that fails goes to the bot's error handler, as in polling
 * (the follower hears that something went wrong), and is answered 200: sent again, it would hold
 * up the chat's later updates, /panic among them. One that takes longer than Telegram waits is
 * answered at 50 s and goes on, rather than be sent again.
 */
export function webhookHandler(
  bot: Bot<BotContext>,
  settings: WebhookSettings,
  metrics: Metrics,
  logger: Logger,
): WebhookHandler {
  const handle = webhookCallback(bot, "http", {
    secretToken: settings.secret,
    timeoutMilliseconds: 50_000,
    onTimeout: "return",
  });
  const expected = Buffer.from(settings.secret);
  let toldAt = 0;
  return async (request, response) => {
    const given = Buffer.from(String(request.headers["x-telegram-bot-api-secret-token"] ?? ""));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      // Counted, and said once a minute: replicas that disagree on WEBHOOK_SECRET look like this too.
      metrics.webhookRefused.inc();
      if (Date.now() - toldAt > 60_000) {
        toldAt = Date.now();
        logger.warn(
          "a webhook request came without the right secret token (refused with 401); if all replicas get these, check that they share WEBHOOK_SECRET",
        );
      }
      return void response.writeHead(401).end();
    }
    try {
      await handle(request, response);
    } catch (error) {
      if (!(error instanceof BotError)) throw error;
      await bot.errorHandler(error);
      if (!response.headersSent) response.writeHead(200).end();
    }
  };
}

/** Why setWebhook failed, in one line: Telegram's code and description, or the network error's code. Never the request (it holds the secret token) or the URL (the bot token). */
export function setWebhookFailure(error: unknown): { line: string; final: boolean } {
  if (error instanceof GrammyError)
    return {
      line: `Telegram refused setWebhook: ${error.error_code} ${error.description}`,
      final: error.error_code >= 400 && error.error_code < 500 && error.error_code !== 429,
    };
  if (error instanceof HttpError) {
    const inner = error.error as { code?: unknown } | undefined;
    return { line: `could not reach Telegram for setWebhook (${String(inner?.code ?? "no answer")})`, final: false };
  }
  return { line: "setWebhook failed unexpectedly", final: false };
}

export async function setWebhook(bot: Bot<BotContext>, settings: WebhookSettings): Promise<void> {
  await bot.api.setWebhook(settings.url, {
    secret_token: settings.secret,
    allowed_updates: [...ALLOWED_UPDATES],
    max_connections: settings.maxConnections,
  });
}

/** Telegram's updates are a few kB; a body past this (with the right secret: a bug or an attacker) is refused unread. */
const LARGEST_UPDATE = 1024 * 1024;

/** The webhook's route: POST to WEBHOOK_URL's path, with a length Telegram always sends. */
export function webhookRoute(path: string, handle: WebhookHandler): Route {
  return {
    method: "POST",
    path,
    async handle(request, response) {
      const length = Number(request.headers["content-length"]);
      if (!Number.isFinite(length)) return reply(response, 411, "length required\n");
      if (length > LARGEST_UPDATE) return reply(response, 413, "too large\n");
      return handle(request, response);
    },
  };
}
