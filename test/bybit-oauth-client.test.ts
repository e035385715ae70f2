import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { bybit } from "../src/exchange/bybit/index.js";
import { listen, sendJson } from "./support/http-json.js";

/** The adapter's OAuth client against a server that answers as told: Bybit's undocumented failures, in our terms. */

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function appWith(answer: (request: IncomingMessage, response: ServerResponse) => void, timeoutMs = 2000) {
  const server = await listen(answer);
  stop = server.stop;
  const asked: string[] = [];
  const budget = {
    beforeRequest: async (priority: string) => void asked.push(priority),
    followerCheck: async () => 0,
    followerSearch: async () => 0,
  };
  const exchange = bybit.connect({ baseUrl: server.url, timeoutMs, requestsPer5s: 300, budget });
  const app = exchange.brokerApp!({
    clientId: "app",
    clientSecret: "app-secret",
    authorizeUrl: "https://www.bybit.com/en/oauth",
    apiRoot: `${server.url}/`,
  });
  return { app, asked };
}

const token = { access_token: "t0k", refresh_token: "r", token_type: "bearer", expires_in: 86400 };

describe("Bybit's OAuth client", () => {
  it("builds the documented approval address", async () => {
    const { app } = await appWith(() => undefined);
    expect(app.authorizeUrl("S", "https://keys.example/oauth/bybit/callback")).toBe(
      "https://www.bybit.com/en/oauth?client_id=app&response_type=code" +
        "&redirect_uri=https%3A%2F%2Fkeys.example%2Foauth%2Fbybit%2Fcallback&scope=openapi&state=S",
    );
  });

  it("exchanges the code by form, fetches the key with the token, each in the shared budget", async () => {
    const seen: string[] = [];
    const { app, asked } = await appWith((request, response) => {
      seen.push(
        `${request.method} ${request.url} ${request.headers["content-type"] ?? ""} ${request.headers.authorization ?? ""}`,
      );
      if (request.url === "/oauth/v1/public/access_token") return sendJson(response, 200, token);
      sendJson(response, 200, { ret_code: 0, ret_msg: "success", result: { api_key: "K", api_secret: "S" } });
    });
    expect(await app.issuedKey("c0de")).toEqual({ ok: true, credentials: { apiKey: "K", apiSecret: "S" } });
    expect(seen).toEqual([
      "POST /oauth/v1/public/access_token application/x-www-form-urlencoded ",
      "GET /oauth/v1/resource/restrict/openapi  Bearer t0k",
    ]);
    expect(asked).toEqual(["connect", "connect"]);
  });

  it.each([
    ["no token: the code refused", () => [200, { ret_code: 10001, ret_msg: "invalid code" }], "code-refused"],
    ["a 400 without a token", () => [400, { error: "invalid_grant" }], "code-refused"],
    ["Bybit limiting", () => [429, {}], "rate-limited"],
    ["a broken gateway", () => [502, {}], "unavailable"],
    ["a redirect elsewhere", () => [302, {}], "unavailable"],
  ] as [string, () => [number, unknown], string][])("%s", async (_name, answer, failure) => {
    const { app } = await appWith((_request, response) => {
      const [status, body] = answer();
      sendJson(response, status, body);
    });
    expect(await app.issuedKey("c0de")).toEqual({ ok: false, failure });
  });

  it("a token but no key (ret_code not 0, or no secret) is no key", async () => {
    for (const result of [
      { ret_code: 10003, ret_msg: "x" },
      { ret_code: 0, result: { api_key: "K" } },
    ]) {
      const { app } = await appWith((request, response) =>
        sendJson(response, 200, request.url === "/oauth/v1/public/access_token" ? token : result),
      );
      expect(await app.issuedKey("c0de")).toEqual({ ok: false, failure: "unavailable" });
      await stop?.();
    }
  });

  it("a Bybit that does not answer is a timeout", async () => {
    const { app } = await appWith(() => undefined, 200);
    expect(await app.issuedKey("c0de")).toEqual({ ok: false, failure: "timeout" });
  });
});
