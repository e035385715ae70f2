import type { RedisClient, RedisTarget } from "./redis.js";

/** Where the target is, as the operator wrote it (host:port, never the password), and which setting says so. */
export function redisWhere(target: RedisTarget): string {
  if ("clusterNodes" in target) return `${target.clusterNodes.join(", ")} (REDIS_CLUSTER_NODES)`;
  const url = new URL(target.url);
  return `${url.hostname}:${url.port || "6379"} (REDIS_URL)`;
}

/** What to do about the error ioredis last reported, in a few words. */
function advice(code: string, target: RedisTarget): string {
  if (/WRONGPASS|NOAUTH|NOPERM/.test(code)) {
    return "it refused the password: put the right one in the URL (redis://:<password>@host:port)";
  }
  if ("url" in target && target.url.startsWith("rediss:") && code === "no answer") {
    return "no answer over TLS: check that this Redis speaks TLS (rediss://), or use redis:// if it does not";
  }
  if ("url" in target) {
    return (
      "start Redis there or fix REDIS_URL (docker compose's Redis: redis://:<REDIS_PASSWORD>@localhost:6379; " +
      "unset REDIS_URL and `npm start` runs a Redis of its own)"
    );
  }
  return "start the cluster's nodes or fix REDIS_CLUSTER_NODES";
}

/**
 * Waits for the first connection. The service retries Redis for ever once it has run (an outage
 * passes), but a Redis never reached at start is a setting to fix: one line naming host:port and
 * the fix, for the caller to print and exit on (an orchestrator then restarts the process).
 */
export async function firstContact(
  client: RedisClient,
  target: RedisTarget,
  withinMs: number,
): Promise<{ ok: true } | { ok: false; line: string }> {
  if (client.status === "ready") return { ok: true };
  let last = "no answer";
  let settle: (reached: boolean) => void = () => undefined;
  const onError = (error: Error & { code?: string }) => {
    // The code or the reply's first word, never the message: a URL in it could hold the password.
    last = error.code ?? /^[A-Z]+/.exec(error.message)?.[0] ?? error.name;
    // A refused password stays refused: no use waiting.
    if (/WRONGPASS|NOAUTH|NOPERM/.test(last)) settle(false);
  };
  client.on("error", onError);
  try {
    const reached = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), withinMs);
      settle = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      client.once("ready", () => settle(true));
    });
    if (reached) return { ok: true };
    return { ok: false, line: `Cannot reach Redis at ${redisWhere(target)} (${last}): ${advice(last, target)}.` };
  } finally {
    client.off("error", onError);
  }
}
