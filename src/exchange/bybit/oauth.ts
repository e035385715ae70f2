import type { ExchangeBudget } from "../../budget/exchange-budget.js";
import type { AppFailure, BrokerApp, BrokerAppSettings, IssuedKey } from "../port.js";

/**
 * Bybit's OAuth for API brokers (docs/v5/broker/api-broker/guidance): the follower approves the app on
 * `authorizeUrl`, Bybit sends them back with a single-use `code`, which `POST /oauth/v1/public/access_token`
 * (form: client_id, client_secret, code) exchanges for an access token, and `GET
 * /oauth/v1/resource/restrict/openapi` with that token answers the key Bybit made for the app:
 * `{ ret_code, ret_msg, result: { api_key, api_secret } }`. The key carries the app's permissions and is
 * bound to the broker's whitelisted IPs.
 *
 * Nothing here logs, and nothing thrown leaves: answers hold tokens and secrets, so each becomes a plain
 * failure. The tokens live in this function's scope alone: no refresh is kept (the key is all we need).
 */

export const TOKEN_PATH = "/oauth/v1/public/access_token";
export const KEY_PATH = "/oauth/v1/resource/restrict/openapi";

export interface OAuthTransport {
  budget: ExchangeBudget;
  timeoutMs: number;
  observe?: (seconds: number, outcome: string) => void;
}

class AppError extends Error {
  readonly safeMessage = true;
  constructor(readonly failure: AppFailure) {
    super(failure);
    this.name = "AppError";
  }
}

const isText = (value: unknown, max = 4096): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= max;

/** An HTTP answer's status in our terms, before its body is read. */
function statusFailure(status: number): AppFailure | null {
  if (status === 429 || status === 403) return "rate-limited";
  if (status >= 500 || (status >= 300 && status < 400)) return "unavailable";
  return null;
}

export function bybitBrokerApp(app: BrokerAppSettings, { budget, timeoutMs, observe }: OAuthTransport): BrokerApp {
  const root = app.apiRoot.replace(/\/+$/, "");
  /** One request in the shared budget, its JSON body or a plain failure; nothing of it is logged. */
  async function call(path: string, init: RequestInit, refused: AppFailure): Promise<Record<string, unknown>> {
    await budget.beforeRequest("connect");
    const started = performance.now();
    let outcome: AppFailure | "ok" = "unavailable";
    try {
      const response = await fetch(`${root}${path}`, {
        ...init,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const byStatus = statusFailure(response.status);
      const body: unknown = await response.json().catch(() => null);
      if (byStatus) throw new AppError((outcome = byStatus));
      if (typeof body !== "object" || body === null)
        throw new AppError((outcome = response.ok ? "unavailable" : refused));
      outcome = "ok";
      return body as Record<string, unknown>;
    } catch (thrown) {
      if (thrown instanceof AppError) throw thrown;
      const name = (thrown as { name?: unknown } | null)?.name;
      throw new AppError((outcome = name === "TimeoutError" || name === "AbortError" ? "timeout" : "unavailable"));
    } finally {
      observe?.((performance.now() - started) / 1000, outcome === "ok" ? "ok" : `oauth-${outcome}`);
    }
  }

  return {
    authorizeUrl(state, redirectUri) {
      const url = new URL(app.authorizeUrl);
      url.search = new URLSearchParams({
        client_id: app.clientId,
        response_type: "code",
        redirect_uri: redirectUri,
        scope: "openapi",
        state,
      }).toString();
      return url.toString();
    },

    async issuedKey(code): Promise<IssuedKey> {
      try {
        const token = await call(
          TOKEN_PATH,
          {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ client_id: app.clientId, client_secret: app.clientSecret, code }).toString(),
          },
          "code-refused",
        );
        // No token: Bybit refused the code (used, expired, for another app) or the app itself.
        if (!isText(token.access_token)) return { ok: false, failure: "code-refused" };
        const answer = await call(
          KEY_PATH,
          { method: "GET", headers: { authorization: `Bearer ${token.access_token}` } },
          "unavailable",
        );
        const result = answer.result as { api_key?: unknown; api_secret?: unknown } | undefined;
        if (answer.ret_code !== 0 || !isText(result?.api_key, 256) || !isText(result?.api_secret, 8192))
          return { ok: false, failure: "unavailable" };
        return { ok: true, credentials: { apiKey: result.api_key, apiSecret: result.api_secret } };
      } catch (thrown) {
        return { ok: false, failure: thrown instanceof AppError ? thrown.failure : "unavailable" };
      }
    },
  };
}
