import type http from "node:http";

/**
 * One route of the process's HTTP server, contributed by the module that owns it (health, metrics,
 * the webhook; web pages and callbacks next). The server knows none of them by name.
 */
export interface Route {
  method: "GET" | "POST";
  /** The exact path, without a query. */
  path: string;
  handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<unknown>;
}

/** A plain-text (or given type) answer, all at once. */
export function reply(
  response: http.ServerResponse,
  status: number,
  body: string,
  type = "text/plain; charset=utf-8",
): void {
  response.writeHead(status, { "Content-Type": type }).end(body);
}
