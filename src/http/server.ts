import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { reply, type Route } from "./routes.js";

/**
 * Headers of every answer, whatever the route: nothing loaded, framed, sniffed, cached or referred. A route
 * that serves a page sets its own Content-Security-Policy over this one (the OAuth page allows its style).
 */
export const BASE_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
} as const;

export interface HttpServerOptions {
  port: number;
  /** What the modules contribute: health, metrics, the webhook, … One route per method and path. */
  routes: readonly Route[];
  logger: Logger;
}

/**
 * The process's HTTP side, on node:http alone: a table of routes needs no framework. A request for
 * no route is 404 (405 when only the method is wrong). While closing, a connection ends with the
 * response it carries, and a new POST is sent elsewhere (Telegram retries a 503).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const { logger } = options;
  const table = new Map<string, Route>();
  /** The methods each path answers: a path not here is not found, a method not here is not allowed. */
  const allowed = new Map<string, string[]>();
  for (const route of options.routes) {
    const key = `${route.method} ${route.path}`;
    if (table.has(key)) throw new Error(`two HTTP routes for ${key}`);
    table.set(key, route);
    allowed.set(route.path, [...(allowed.get(route.path) ?? []), route.method]);
  }
  let closing = false;
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    inFlight.add(response);
    response.once("close", () => {
      inFlight.delete(response);
      if (closing) server.closeIdleConnections();
    });
    // Every answer carries these, 404, 405 and 500 too (a route may widen them, as the OAuth page does).
    for (const [name, value] of Object.entries(BASE_HEADERS)) response.setHeader(name, value);
    const path = (request.url ?? "/").split("?")[0]!;
    if (closing) {
      response.shouldKeepAlive = false;
      if (response.req.method === "POST") return void response.writeHead(503, { Connection: "close" }).end();
    }
    const route = table.get(`${request.method} ${path}`);
    if (!route) {
      const methods = allowed.get(path);
      if (!methods) return reply(response, 404, "not found\n");
      response.setHeader("Allow", methods.join(", "));
      return reply(response, 405, "method not allowed\n");
    }
    route.handle(request, response).catch((error: unknown) => {
      logger.error({ err: error, route: request.method }, "an HTTP request failed");
      if (!response.headersSent) reply(response, 500, "internal error\n");
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(options.port, resolve));
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, routes: [...table.keys()] }, "serving HTTP");
  return {
    port,
    // Stops taking requests; those in flight (an update being handled) finish, within the shutdown
    // bound, and their connections close behind them; idle ones close at once.
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const response of inFlight) if (!response.headersSent) response.shouldKeepAlive = false;
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
