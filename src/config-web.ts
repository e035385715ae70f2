import { z } from "zod";
import { isSafeEndpoint } from "./config-storage.js";
import { baseUrl } from "./config-exchanges.js";

/**
 * The service's public web side: PUBLIC_URL (the Mini App's pages and the OAuth callback live under it) and
 * Bybit's OAuth for API brokers ("Connect with Bybit"), on only when BYBIT_OAUTH_CLIENT_ID is set.
 */
export const webEnvironment = {
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: "must be the service's public https:// URL (its pages and callbacks)" })
    .refine((url) => new URL(url).search === "" && new URL(url).hash === "", "must have no ?query or #fragment")
    .refine((url) => !new URL(url).username && !new URL(url).password, "must not hold a user name or password")
    .refine(isSafeEndpoint, "must be https:// (http:// only on this machine: localhost, 127.0.0.1, ::1)")
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
  BYBIT_OAUTH_CLIENT_ID: z
    .string()
    .trim()
    .regex(/^[\w.-]{1,128}$/, "must be the client_id Bybit gave for your OAuth app (letters, digits, . _ -)")
    .optional(),
  BYBIT_OAUTH_CLIENT_SECRET: z.string().trim().min(8, "must be the client_secret Bybit gave for your app").optional(),
  BYBIT_OAUTH_AUTHORIZE_URL: baseUrl("https://www.bybit.com/en/oauth"),
  BYBIT_OAUTH_API_ROOT: baseUrl("https://api2.bybit.com"),
};

type WebEnvironment = z.infer<z.ZodObject<typeof webEnvironment>>;

/** Bybit's OAuth for API brokers, when the operator has an app. */
export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  /** Where the follower approves (the browser goes there). */
  authorizeUrl: string;
  /** Where the code is exchanged and the key fetched (server to server). */
  apiRoot: string;
}

/** What is wrong with the web settings together, by setting name; empty when nothing is. */
export function webIssues(env: WebEnvironment & { EGRESS_IPS: string[] }): [string, string][] {
  const issues: [string, string][] = [];
  if (env.BYBIT_OAUTH_CLIENT_ID === undefined) {
    if (env.BYBIT_OAUTH_CLIENT_SECRET !== undefined)
      issues.push(["BYBIT_OAUTH_CLIENT_ID", "is required with BYBIT_OAUTH_CLIENT_SECRET (or leave both empty)"]);
    return issues;
  }
  if (env.BYBIT_OAUTH_CLIENT_SECRET === undefined)
    issues.push(["BYBIT_OAUTH_CLIENT_SECRET", "is required with BYBIT_OAUTH_CLIENT_ID (Bybit's oauth-admin page)"]);
  if (env.PUBLIC_URL === undefined)
    issues.push(["PUBLIC_URL", "is required with BYBIT_OAUTH_CLIENT_ID: Bybit sends followers back to it"]);
  if (env.EGRESS_IPS.length === 0)
    issues.push([
      "EGRESS_IPS",
      "is required with BYBIT_OAUTH_CLIENT_ID: the IPs whitelisted for your broker app (Bybit binds its keys to them)",
    ]);
  return issues;
}

/** Endpoints that must be https:// in production. */
export const webEndpoints = (env: WebEnvironment): [string, string][] =>
  env.BYBIT_OAUTH_CLIENT_ID === undefined
    ? []
    : [
        ["BYBIT_OAUTH_AUTHORIZE_URL", env.BYBIT_OAUTH_AUTHORIZE_URL],
        ["BYBIT_OAUTH_API_ROOT", env.BYBIT_OAUTH_API_ROOT],
      ];

export const webSettings = (env: WebEnvironment): { publicUrl: string | null; oauth: OAuthSettings | null } => ({
  publicUrl: env.PUBLIC_URL ?? null,
  oauth:
    env.BYBIT_OAUTH_CLIENT_ID !== undefined && env.BYBIT_OAUTH_CLIENT_SECRET !== undefined
      ? {
          clientId: env.BYBIT_OAUTH_CLIENT_ID,
          clientSecret: env.BYBIT_OAUTH_CLIENT_SECRET,
          authorizeUrl: env.BYBIT_OAUTH_AUTHORIZE_URL,
          apiRoot: env.BYBIT_OAUTH_API_ROOT,
        }
      : null,
});
