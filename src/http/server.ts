import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { reply, type Route } from "./routes.js";

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
  for (const route of options.routes) {
    const key = `${route.method} ${route.path}`;
    if (table.has(key)) throw new Error(`two HTTP routes for ${key}`);
    table.set(key, route);
  }
  const paths = new Set(options.routes.map((route) => route.path));
  let closing = false;
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    inFlight.add(response);
    response.once("close", () => {
      inFlight.delete(response);
      if (closing) server.closeIdleConnections();
    });
    const path = (request.url ?? "/").split("?")[0]!;
    if (closing) {
      response.shouldKeepAlive = false;
      if (response.req.method === "POST") return void response.writeHead(503, { Connection: "close" }).end();
    }
    const route = table.get(`${request.method} ${path}`);
    if (!route)
      return reply(response, paths.has(path) ? 405 : 404, paths.has(path) ? "method not allowed\n" : "not found\n");
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
