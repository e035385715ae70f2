import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { canaryCredentials } from "./canaries.js";
import { TRADE_ONLY, type FakeBybit } from "./fake-bybit.js";
import { listen, readBody, sendJson } from "./http-json.js";

/**
 * Bybit's OAuth for API brokers, as docs/v5/broker/api-broker/guidance documents it:
 * - GET /en/oauth?client_id&response_type=code&redirect_uri&scope=openapi&state: the approval page. A
 *   redirect_uri not registered for the app falls back to the first one registered (as the docs say). For
 *   tests and the sandbox, `&decision=approve` is the follower's approval: a 301 back to
 *   `redirect_uri/?response_type=code&code=…&scope=openapi&state=…` (the docs' example, slash and all);
 *   `&decision=deny` comes back with `error=access_denied` and the state.
 * - POST /oauth/v1/public/access_token, form client_id, client_secret, code (single use, short-lived):
 *   access_token, refresh_token, token_type, expires_in, refresh_token_expires_in.
 * - GET /oauth/v1/resource/restrict/openapi with `Authorization: Bearer <access_token>`:
 *   { ret_code, ret_msg, result: { api_key, api_secret } }, a key made now in the Bybit fake, bound to the
 *   app's whitelisted IPs with the app's permissions (contracts only unless told), `type` 2.
 * Error answers are not documented: these are 200s with a non-zero ret_code and no token or key.
 */

export interface FakeOAuthApp {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** The IPs the broker whitelisted: every key issued is bound to them. */
  ips: string[];
  permissions?: Record<string, string[]>;
}

const CODE_SECONDS = 5 * 60;

export class FakeBybitOAuth {
  /** Token exchanges asked for, whatever their answer. */
  tokenCalls = 0;
  keyCalls = 0;
  /** "hang": token and key requests are taken and never answered. */
  mode: "normal" | "hang" = "normal";
  /** Every key issued, with its secret: for tests to look for everywhere. */
  readonly issued: { apiKey: string; apiSecret: string }[] = [];
  private readonly codes = new Map<string, { at: number; used: boolean }>();
  private readonly tokens = new Set<string>();
  private server?: Awaited<ReturnType<typeof listen>>;

  /** Where keys are issued: the Bybit fake (set once it runs; the bot's settings need this fake's URL first). */
  bybit?: FakeBybit;

  constructor(readonly app: FakeOAuthApp) {}

  get url(): string {
    return this.server!.url;
  }

  /** BYBIT_OAUTH_AUTHORIZE_URL for this fake. */
  get authorizeUrl(): string {
    return `${this.url}/en/oauth`;
  }

  async start(): Promise<string> {
    this.server = await listen((request, response) => void this.handle(request, response));
    return this.server.url;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  /** What the follower's browser does on the approval page: where Bybit sends it back (the Location). */
  async decide(authorizeUrl: string, decision: "approve" | "deny"): Promise<string> {
    const url = new URL(authorizeUrl);
    url.searchParams.set("decision", decision);
    const response = await fetch(url, { redirect: "manual" });
    const location = response.headers.get("location");
    if (!location) throw new Error(`the approval page answered ${response.status}, no redirect`);
    return location;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://oauth.local");
    const body = await readBody(request);
    if (request.method === "GET" && url.pathname === "/en/oauth") return this.approvalPage(url, response);
    if (url.pathname === "/oauth/v1/public/access_token" && request.method === "POST") {
      this.tokenCalls += 1;
      if (this.mode === "hang") return;
      return this.token(new URLSearchParams(body), request, response);
    }
    if (url.pathname === "/oauth/v1/resource/restrict/openapi" && request.method === "GET") {
      this.keyCalls += 1;
      if (this.mode === "hang") return;
      return this.key(request, response);
    }
    sendJson(response, 404, { ret_code: 404, ret_msg: "Not Found" });
  }

  private approvalPage(url: URL, response: ServerResponse): void {
    const query = url.searchParams;
    if (query.get("client_id") !== this.app.clientId || query.get("response_type") !== "code")
      return void response.writeHead(400, { "content-type": "text/plain" }).end("invalid client or response type\n");
    const asked = query.get("redirect_uri") ?? "";
    const back = new URL(`${this.app.redirectUris.includes(asked) ? asked : this.app.redirectUris[0]}/`);
    const decision = query.get("decision");
    if (decision === "approve") {
      const code = randomBytes(18).toString("base64url");
      this.codes.set(code, { at: Date.now(), used: false });
      back.search = new URLSearchParams({
        response_type: "code",
        code,
        scope: "openapi",
        state: query.get("state") ?? "",
      }).toString();
    } else if (decision === "deny") {
      back.search = new URLSearchParams({ error: "access_denied", state: query.get("state") ?? "" }).toString();
    } else {
      const page = `<!doctype html><title>Bybit</title><p>Authorize the app ${this.app.clientId}?</p>`;
      return void response.writeHead(200, { "content-type": "text/html" }).end(page);
    }
    response.writeHead(301, { location: back.toString() }).end();
  }

  private token(form: URLSearchParams, request: IncomingMessage, response: ServerResponse): void {
    const typed = String(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const app = form.get("client_id") === this.app.clientId && form.get("client_secret") === this.app.clientSecret;
    const code = this.codes.get(form.get("code") ?? "");
    if (!typed || !app || !code || code.used || Date.now() - code.at > CODE_SECONDS * 1000)
      return sendJson(response, 200, { ret_code: 10001, ret_msg: "invalid code or client" });
    code.used = true;
    const accessToken = randomBytes(24).toString("base64url");
    this.tokens.add(accessToken);
    sendJson(response, 200, {
      access_token: accessToken,
      refresh_token: randomBytes(24).toString("base64url"),
      token_type: "bearer",
      expires_in: 86400,
      refresh_token_expires_in: 2592000,
    });
  }

  private key(request: IncomingMessage, response: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
    if (!token || !this.tokens.has(token))
      return sendJson(response, 200, { ret_code: 10003, ret_msg: "invalid token" });
    const credentials = canaryCredentials();
    if (!this.bybit) throw new Error("the OAuth fake has no Bybit fake to issue keys into");
    this.bybit.addKey({
      ...credentials,
      ips: this.app.ips,
      permissions: this.app.permissions ?? TRADE_ONLY,
      note: `${this.app.clientId}-oauth`,
      createdAt: Date.now(),
      type: 2,
    });
    this.issued.push(credentials);
    sendJson(response, 200, {
      ret_code: 0,
      ret_msg: "success",
      result: { api_key: credentials.apiKey, api_secret: credentials.apiSecret },
    });
  }
}
