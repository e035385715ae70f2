import type { Registry } from "prom-client";
import { reply, type Route } from "./routes.js";

/** One thing a process needs before it can do its work; `check` must answer within the probe's time. */
export interface Readiness {
  name: string;
  check(): Promise<boolean>;
}

const PROBE_MS = 1000;

const within = <T>(ms: number, task: Promise<T>, fallback: T) =>
  Promise.race([
    task.catch(() => fallback),
    new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref()),
  ]);

/**
 * GET /livez: the process answers. GET /readyz: every readiness check passes within a second (503
 * and the names of those that do not). `readiness` may grow after the routes are made.
 */
export function healthRoutes(readiness: readonly Readiness[]): Route[] {
  return [
    { method: "GET", path: "/livez", handle: async (_request, response) => reply(response, 200, "ok\n") },
    {
      method: "GET",
      path: "/readyz",
      async handle(_request, response) {
        const results = await Promise.all(
          readiness.map(async ({ name, check }) => ({ name, ok: await within(PROBE_MS, check(), false) })),
        );
        const failing = results.filter((result) => !result.ok).map((result) => result.name);
        reply(
          response,
          failing.length === 0 ? 200 : 503,
          failing.length === 0 ? "ready\n" : `not ready: ${failing.join(", ")}\n`,
        );
      },
    },
  ];
}

/** GET /metrics: Prometheus's text format. */
export const metricsRoute = (registry: Registry): Route => ({
  method: "GET",
  path: "/metrics",
  handle: async (_request, response) => reply(response, 200, await registry.metrics(), registry.contentType),
});
