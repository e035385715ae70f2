import { readFileSync } from "node:fs";
import type http from "node:http";
import type { Route } from "../../../http/routes.js";

/**
 * The Mini App's HTTP manners: a vault door. Every answer carries a strict Content-Security-Policy (only
 * our own script, style and API; images only ours or inline data; no forms elsewhere; framed only by
 * Telegram's web client), is never cached or sent on as a referrer, and is read as the type it says.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors https://web.telegram.org",
  ].join("; "),
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

/** A request body larger than this is refused unread: a key, a secret and a ticket take a few hundred bytes. */
export const BODY_LIMIT_BYTES = 4096;

export function send(
  response: http.ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const length = Buffer.byteLength(body);
  response.writeHead(status, { ...SECURITY_HEADERS, ...headers, "Content-Type": type, "Content-Length": length });
  response.end(body);
}

export const sendJson = (
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void => send(response, status, JSON.stringify(body), "application/json; charset=utf-8", headers);

/** The body, or why it was not read: too large, not JSON (its text is never quoted: it may hold a secret), too slow. */
export type Body = { ok: true; body: unknown } | { ok: false; problem: "too-large" | "not-json" | "too-slow" };

/** How long a body may take to arrive once the headers are in: a few hundred bytes take a moment, not minutes. */
export const BODY_DEADLINE_MS = 10_000;

/**
 * The request's JSON body, at most `BODY_LIMIT_BYTES`, within `deadlineMs`. Only `application/json` is taken:
 * a cross-site form cannot send it (nor the Authorization header) without a preflight, which this server never
 * answers. A body trickled in byte by byte (a slowloris) is cut off at the deadline, not at Node's 5 minutes.
 */
export async function readJson(request: http.IncomingMessage, deadlineMs = BODY_DEADLINE_MS): Promise<Body> {
  if (!/^application\/json(;|$)/i.test(request.headers["content-type"] ?? ""))
    return { ok: false, problem: "not-json" };
  if (Number(request.headers["content-length"] ?? 0) > BODY_LIMIT_BYTES) {
    request.resume();
    return { ok: false, problem: "too-large" };
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Body>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, problem: "too-slow" }), deadlineMs);
  });
  // Cut off, the read ends when its connection does (the caller closes it): that failure is expected.
  const reading = readBody(request).catch((): Body => ({ ok: false, problem: "too-slow" }));
  try {
    return await Promise.race([reading, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readBody(request: http.IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) {
      request.resume();
      return { ok: false, problem: "too-large" };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks);
  try {
    return { ok: true, body: JSON.parse(text.toString("utf8")) as unknown };
  } catch {
    // The parser's message quotes the text: never passed on.
    return { ok: false, problem: "not-json" };
  } finally {
    text.fill(0);
    for (const chunk of chunks) chunk.fill(0);
  }
}

const PUBLIC = new URL("./public/", import.meta.url);
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** The page and its own script and style, read once at start-up and served from memory. */
export function assetRoutes(base: string, views: readonly string[]): Route[] {
  const file = (name: string) => readFileSync(new URL(name, PUBLIC));
  const page = file("page.html");
  const assets = ["app.js", "app.css", "timeline.js"].map((name) => ({ name, body: file(name) }));
  const get = (path: string, body: Buffer, type: string): Route => ({
    method: "GET",
    path,
    handle: async (_request, response) => send(response, 200, body, type),
  });
  return [
    ...views.map((view) => get(`${base}/${view}`, page, TYPES.html!)),
    ...assets.map(({ name, body }) => get(`${base}/${name}`, body, TYPES[name.split(".").pop()!]!)),
  ];
}
