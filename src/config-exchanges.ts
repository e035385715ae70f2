import { z } from "zod";
import { commaList } from "./config-storage.js";
import { BYBIT_SITES, MAIN_SITE, sitesWith } from "./exchange/bybit/sites.js";
import type { ExchangeSettingsById } from "./exchange/registry.js";

/** A base URL that request paths are appended to. */
export const baseUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    // Request paths are appended to it: a query, a fragment or a user name would garble every one.
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.search === "" && parsed.hash === "" && parsed.username === "" && parsed.password === "";
    }, "must be a plain base URL (no ?query, #fragment or user@)")
    .default(fallback)
    .transform((url) => url.replace(/\/+$/, ""));

const REGIONAL = BYBIT_SITES.filter((site) => site.id !== MAIN_SITE).map((site) => site.id);

/** `tr=https://api.bybit.tr,eu=https://api.bybit.eu`: hosts for regional sites (tests, testnet, a proxy). */
const siteUrls = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const urls: Record<string, string> = {};
    for (const entry of commaList(value)) {
      const [id = "", url = ""] = entry.split(/=(.*)/s).map((part) => part.trim());
      const parsed = url ? baseUrl(url).safeParse(url) : null;
      if (!REGIONAL.includes(id))
        ctx.addIssue({ code: "custom", message: `"${id}" is not a regional site (${REGIONAL.join(", ")})` });
      else if (!parsed?.success) ctx.addIssue({ code: "custom", message: `${id}: give a plain http(s) URL` });
      else urls[id] = parsed.data;
    }
    return urls;
  });

/** The exchanges' part of the environment. */
export const exchangeEnvironment = {
  BYBIT_BASE_URL: baseUrl("https://api.bybit.com"),
  BYBIT_SITES: siteUrls,
  BYBIT_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(10_000),
  BYBIT_REQUESTS_PER_5S: z.coerce
    .number()
    .int()
    .min(10)
    .max(500, "must stay well under Bybit's 600 per 5 s per IP")
    .default(300),
};

type ExchangeEnvironment = { [name in keyof typeof exchangeEnvironment]: z.infer<(typeof exchangeEnvironment)[name]> };

/** Endpoints that must be https:// in production, by setting name. */
export const exchangeEndpoints = (env: ExchangeEnvironment): [string, string][] => [
  ["BYBIT_BASE_URL", env.BYBIT_BASE_URL],
  ...Object.values(env.BYBIT_SITES).map((url): [string, string] => ["BYBIT_SITES", url]),
];

export const exchangeSettings = (env: ExchangeEnvironment): ExchangeSettingsById => ({
  bybit: {
    baseUrl: env.BYBIT_BASE_URL,
    siteUrls: env.BYBIT_SITES,
    timeoutMs: env.BYBIT_TIMEOUT_MS,
    requestsPer5s: env.BYBIT_REQUESTS_PER_5S,
  },
});

/**
 * Bybit sites given one host, as issues: a key that host knows would be found on each of them, and the
 * holder index and the denylist, which name a key's site, would take it for two keys (two followers
 * holding one key; a key frozen as leaked connected again under the other site).
 */
export function sharedSiteHosts(env: ExchangeEnvironment): string[] {
  const byHost = new Map<string, string[]>();
  for (const { id, apiUrl } of sitesWith(env.BYBIT_BASE_URL, env.BYBIT_SITES)) {
    const host = new URL(apiUrl).href.replace(/\/+$/, "");
    byHost.set(host, [...(byHost.get(host) ?? []), id]);
  }
  return [...byHost]
    .filter(([, ids]) => ids.length > 1)
    .map(([host, ids]) => `sites ${ids.join(", ")} share ${host}: give each site a host of its own`);
}
