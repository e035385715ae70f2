import { z } from "zod";
import { isSafeEndpoint, LOOPBACK } from "./config-storage.js";

/** Webhook mode: Telegram posts updates to WEBHOOK_URL with WEBHOOK_SECRET; without both, the bot polls. */
export const webhookEnvironment = {
  WEBHOOK_URL: z
    .url({ protocol: /^https?$/, error: "must be the public https:// URL Telegram posts updates to" })
    .refine((url) => new URL(url).search === "" && new URL(url).hash === "", "must have no ?query or #fragment")
    .optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, "must be 16 to 256 letters, digits, _ or - (Telegram's secret_token)")
    .optional(),
  WEBHOOK_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(40),
};

type WebhookEnvironment = z.infer<z.ZodObject<typeof webhookEnvironment>>;

/** What is wrong with the webhook settings together, by setting name; empty when nothing is. */
export function webhookIssues(env: WebhookEnvironment): [string, string][] {
  const issues: [string, string][] = [];
  if (env.WEBHOOK_URL !== undefined && env.WEBHOOK_SECRET === undefined)
    issues.push(["WEBHOOK_SECRET", "is required with WEBHOOK_URL (without it anyone could post updates)"]);
  if (env.WEBHOOK_SECRET !== undefined && env.WEBHOOK_URL === undefined)
    issues.push(["WEBHOOK_URL", "is required with WEBHOOK_SECRET (or unset WEBHOOK_SECRET to poll)"]);
  if (env.WEBHOOK_URL === undefined) return issues;
  const { hostname, port, username, password } = new URL(env.WEBHOOK_URL);
  if (!isSafeEndpoint(env.WEBHOOK_URL))
    issues.push(["WEBHOOK_URL", "must be https:// (Telegram posts only to https; http:// only on this machine)"]);
  // Telegram posts only to these ports; anything else fails at setWebhook, once the service runs.
  if (!LOOPBACK.includes(hostname) && !["", "443", "80", "88", "8443"].includes(port))
    issues.push(["WEBHOOK_URL", "must use port 443, 80, 88 or 8443 (the only ones Telegram posts to)"]);
  if (username !== "" || password !== "") issues.push(["WEBHOOK_URL", "must not hold a user name or password"]);
  return issues;
}

export const webhookSettings = (env: WebhookEnvironment) =>
  env.WEBHOOK_URL && env.WEBHOOK_SECRET
    ? { url: env.WEBHOOK_URL, secret: env.WEBHOOK_SECRET, maxConnections: env.WEBHOOK_MAX_CONNECTIONS }
    : null;
