import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

/** One thing a process needs before it can do its work; `check` must answer within the probe's time. */
export interface Readiness {
  name: string;
  check(): Promise<boolean>;
}

export interface HttpServerOptions {
  port: number;
  registry: Registry;
  readiness: Readiness[];
  /** Webhook mode: the path Telegram posts to, and grammY's handler for node:http (it checks the secret token). */
  webhook?: { path: string; handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<unknown> };
  logger: Logger;
}

const PROBE_MS = 1000;
/** Telegram's updates are a few kB; a body past this (with the right secret: a bug or an attacker) is refused unread. */
const LARGEST_UPDATE = 1024 * 1024;

const within = <T>(ms: number, task: Promise<T>, fallback: T) =>
  Promise.race([task.catch(() => fallback), new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref())]);

/**
 * The process's HTTP side, on node:http alone: four routes need no framework, and grammY's own
 * adapter for node:http serves the webhook (it answers 401 to a wrong or missing secret token
 * before reading the body). GET /livez: the process answers. GET /readyz: every readiness check
 * passes within a second (503 and the names of those that do not). GET /metrics: Prometheus.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const { registry, logger } = options;
  let closing = false;
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    inFlight.add(response);
    response.once("close", () => {
      inFlight.delete(response);
      if (closing) server.closeIdleConnections();
    });
    const path = (request.url ?? "/").split("?")[0];
    const route = `${request.method} ${path}`;
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => response.writeHead(status, { "Content-Type": type }).end(body);
    // Stopping: each connection ends with the response it carries, and a new request is sent elsewhere (Telegram retries a 503).
    if (closing) {
      response.shouldKeepAlive = false;
      if (response.req.method === "POST") return void response.writeHead(503, { Connection: "close" }).end();
    }
    void (async () => {
      if (options.webhook && request.method === "POST" && path === options.webhook.path) {
        const length = Number(request.headers["content-length"]);
        if (!Number.isFinite(length)) return reply(411, "length required\n");
        if (length > LARGEST_UPDATE) return reply(413, "too large\n");
        return options.webhook.handle(request, response);
      }
      if (route === "GET /livez") return reply(200, "ok\n");
      if (route === "GET /readyz") {
        const results = await Promise.all(options.readiness.map(async ({ name, check }) => ({ name, ok: await within(PROBE_MS, check(), false) })));
        const failing = results.filter((result) => !result.ok).map((result) => result.name);
        return failing.length === 0 ? reply(200, "ready\n") : reply(503, `not ready: ${failing.join(", ")}\n`);
      }
      if (route === "GET /metrics") return reply(200, await registry.metrics(), registry.contentType);
      reply(404, "not found\n");
    })().catch((error: unknown) => {
      logger.error({ err: error, route: request.method }, "an HTTP request failed");
      if (!response.headersSent) reply(500, "internal error\n");
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(options.port, resolve));
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, "serving /livez, /readyz and /metrics" + (options.webhook ? ", and the webhook" : ""));
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
