import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { healthRoutes, metricsRoute, type Readiness } from "../src/http/health.js";
import { reply, type Route } from "../src/http/routes.js";
import { startHttpServer } from "../src/http/server.js";

const logger = pino({ level: "silent" });

describe("the HTTP route table", () => {
  it("serves what the modules contribute: 404 for no route, 405 for a wrong method, 500 for a failing one", async () => {
    const readiness: Readiness[] = [];
    const page: Route = {
      method: "GET",
      path: "/page",
      handle: async (_request, response) => reply(response, 200, "<p>hi</p>", "text/html"),
    };
    const broken: Route = { method: "POST", path: "/broken", handle: async () => Promise.reject(new Error("boom")) };
    const server = await startHttpServer({
      port: 0,
      routes: [...healthRoutes(readiness), metricsRoute(new Registry()), page, broken],
      logger,
    });
    const at = (path: string, method = "GET") => fetch(`http://127.0.0.1:${server.port}${path}`, { method });
    try {
      expect(await (await at("/livez")).text()).toBe("ok\n");
      expect(await (await at("/page?x=1")).text()).toBe("<p>hi</p>");
      expect((await at("/metrics")).status).toBe(200);
      expect((await at("/nowhere")).status).toBe(404);
      expect((await at("/livez", "POST")).status).toBe(405);
      expect((await at("/broken", "POST")).status).toBe(500);
      // Readiness added after the routes were made still counts.
      readiness.push({ name: "redis", check: async () => false });
      const notReady = await at("/readyz");
      expect([notReady.status, await notReady.text()]).toEqual([503, "not ready: redis\n"]);
    } finally {
      await server.close();
    }
  });

  it("refuses two routes for one method and path", async () => {
    const twice: Route = { method: "GET", path: "/livez", handle: async () => undefined };
    await expect(startHttpServer({ port: 0, routes: [...healthRoutes([]), twice], logger })).rejects.toThrow(
      "two HTTP routes for GET /livez",
    );
  });
});
