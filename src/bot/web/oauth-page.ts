import { createHash } from "node:crypto";
import type http from "node:http";
import { BASE_HEADERS } from "../../http/server.js";
import { escapeHtml } from "../wording/format.js";

/**
 * The short page a browser sees when it comes back from Bybit: one title, one paragraph, no script, no
 * link out, nothing loaded. The address it was opened at holds the code, so no referrer leaves it, and
 * nothing of it is kept by a cache.
 */

const STYLE =
  "body{font:17px/1.5 system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em;color:#222}" +
  "h1{font-size:1.3em}";
const STYLE_HASH = createHash("sha256").update(STYLE).digest("base64");

/** Headers of every page of the callback: the server's (nothing cached, no referrer), and its own style. */
export const PAGE_HEADERS = {
  ...BASE_HEADERS,
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
} as const;

/** `body` is the locale's text, which may hold simple HTML (it is ours, not the request's). */
export function sendPage(
  response: http.ServerResponse,
  status: number,
  page: { locale: string; title: string; body: string },
): void {
  const html =
    `<!doctype html><html lang="${escapeHtml(page.locale)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(page.title)}</title>` +
    `<style>${STYLE}</style></head><body><h1>${escapeHtml(page.title)}</h1><p>${page.body}</p></body></html>`;
  response.writeHead(status, { ...PAGE_HEADERS, "Content-Length": Buffer.byteLength(html) }).end(html);
}

/**
 * The start page's headers: as a callback page's, but its own script (start.js, served by us) may run and
 * call our server, and Telegram's web client may frame it (the script then says to use the app).
 */
const { "X-Frame-Options": _framing, ...UNFRAMED } = PAGE_HEADERS;
export const START_PAGE_HEADERS = {
  ...UNFRAMED,
  "Content-Security-Policy": [
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    `style-src 'sha256-${STYLE_HASH}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors https://web.telegram.org",
  ].join("; "),
} as const;

/** The words the start page shows before its script hears from the server. */
export interface StartWords {
  locale: string;
  title: string;
  opening: string;
  framed: string;
  failed: string;
}

/** The start page: a title, a line its script replaces, and the script (relative: beside the page). */
export function sendStartPage(response: http.ServerResponse, words: StartWords): void {
  const attribute = (name: string, value: string) => ` data-${name}="${escapeHtml(value)}"`;
  const html =
    `<!doctype html><html lang="${escapeHtml(words.locale)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(words.title)}</title>` +
    `<style>${STYLE}</style><script src="start.js" defer></script></head><body>` +
    `<h1>${escapeHtml(words.title)}</h1><p id="message"${attribute("framed", words.framed)}` +
    `${attribute("failed", words.failed)}>${escapeHtml(words.opening)}</p>` +
    `<noscript><p>Open “Connect with Bybit” from the chat in the Telegram app.</p></noscript></body></html>`;
  // The server's DENY goes: frame-ancestors says who may frame it.
  response.removeHeader("X-Frame-Options");
  response.writeHead(200, { ...START_PAGE_HEADERS, "Content-Length": Buffer.byteLength(html) }).end(html);
}
