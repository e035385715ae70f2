import type http from "node:http";
import { webhookCallback, type Bot } from "grammy";
import type { BotContext } from "./context.js";

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

/**
 * Webhook mode. Telegram posts a chat's updates one at a time (the next only after our answer to
 * the last), and chats in parallel: answering once an update is handled keeps each chat in order
 * across replicas behind any load balancer. The secret token is checked by grammY's adapter (401,
 * body unread). An update that takes longer than Telegram waits is answered at 50 s and goes on,
 * rather than be sent again.
 */
export async function useWebhook(bot: Bot<BotContext>, settings: WebhookSettings): Promise<{ path: string; handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<unknown> }> {
  const handle = webhookCallback(bot, "http", { secretToken: settings.secret, timeoutMilliseconds: 50_000, onTimeout: "return" });
  await bot.api.setWebhook(settings.url, { secret_token: settings.secret, allowed_updates: [...ALLOWED_UPDATES], max_connections: settings.maxConnections });
  return { path: new URL(settings.url).pathname, handle };
}
