import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";

/** A connection to the service's Redis: one server, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Where the service's Redis is: `REDIS_URL`, or `REDIS_CLUSTER_NODES` (a few `host:port` seeds; the rest is discovered). */
export type RedisTarget = { url: string } | { clusterNodes: string[]; password?: string; tls?: boolean };

/**
 * One client for the target, with these per-connection options (on a cluster, those of every
 * node's connection). `failFast`: give up after a few tries to connect (a command line tool), where
 * the service keeps trying for ever.
 */
export function redisClient(target: RedisTarget, options: RedisOptions = {}, { failFast = false } = {}): RedisClient {
  const retry = (times: number) => (failFast && times > 3 ? null : Math.min(100 * 2 ** times, 2000));
  if ("url" in target) return new Redis(target.url, { ...options, retryStrategy: retry });
  const nodes = target.clusterNodes.map((node) => {
    const split = node.lastIndexOf(":");
    return { host: node.slice(0, split), port: Number(node.slice(split + 1)) };
  });
  const auth = { ...(target.password ? { password: target.password } : {}), ...(target.tls ? { tls: {} } : {}) };
  return new Cluster(nodes, {
    redisOptions: { ...options, ...auth },
    clusterRetryStrategy: retry,
    // The seeds as given, not resolved to addresses first: with TLS, certificates name hosts.
    dnsLookup: (address, callback) => callback(null, address),
  });
}

/**
 * Three kinds of connection, because BullMQ needs them different: workers block and must retry
 * for ever (`maxRetriesPerRequest: null`); the queue side, used while a follower waits for an
 * answer, must fail fast when Redis is down; the rest is ordinary.
 */
export function connectRedis(target: RedisTarget, logger: Logger) {
  return {
    main: reportingState(redisClient(target), "main", logger),
    queue: reportingState(redisClient(target, { maxRetriesPerRequest: 1 }), "queue", logger),
    worker: () => reportingState(redisClient(target, { maxRetriesPerRequest: null }), "worker", logger),
  };
}

/** The servers that hold the data: the one server, or every master of the cluster. */
export async function dataNodes(client: RedisClient): Promise<Redis[]> {
  if (!(client instanceof Cluster)) return [client];
  // A cluster knows its masters once it has read the slots: wait for that, but not for ever.
  if (client.status !== "ready") {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error("the Redis Cluster did not become ready within 10 s")), 10_000);
      const done = (error?: Error) => {
        clearTimeout(timer);
        client.off("ready", ready).off("end", ended);
        if (error) reject(error);
        else resolve();
      };
      const ready = () => done();
      const ended = () => done(new Error("the Redis Cluster connection ended"));
      client.once("ready", ready).once("end", ended);
    });
  }
  return client.nodes("master");
}

/**
 * Every key matching `pattern`, in batches: SCAN on each server that holds data (a cluster's
 * masters one after another). For sweeps and operator commands, never for a follower's request.
 * `from` resumes a walk: per node (by its address), the cursor where it stopped.
 */
export async function* scanKeys(
  client: RedisClient,
  pattern: string,
  options: { count?: number; from?: Map<string, string> } = {},
): AsyncGenerator<{ keys: string[]; node: string; cursor: string }> {
  for (const node of await dataNodes(client)) {
    const address = `${node.options.host}:${node.options.port}`;
    let cursor = options.from?.get(address) ?? "0";
    if (cursor === "done") continue;
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", options.count ?? 500);
      cursor = next;
      yield { keys, node: address, cursor: cursor === "0" ? "done" : cursor };
    } while (cursor !== "0");
  }
}

/**
 * One structured line per change of state (lost, back), never a stack per retry: without an
 * error listener ioredis prints "Unhandled error event" with a stack on every reconnect attempt.
 */
export function reportingState<T extends RedisClient>(client: T, name: string, logger: Logger): T {
  let down = false;
  let everReady = false;
  client.on("error", (error: Error & { code?: string }) => {
    // Before the first contact, start-up says what is wrong in one line of its own (redis-reach.ts).
    if (down || !everReady) return;
    down = true;
    logger.error(
      { redis: name, error: error.code ?? /^[A-Z]+/.exec(error.message)?.[0] ?? error.name },
      "Redis connection lost; reconnecting",
    );
  });
  client.on("ready", () => {
    everReady = true;
    if (!down) return;
    down = false;
    logger.info({ redis: name }, "Redis connection back");
  });
  return client;
}

/**
 * For BullMQ's queues and workers, which pass on every failed command of an outage as an
 * "error" event: one line per 30 s at most, with how many were left out.
 */
export function reportingErrors<T extends { on(event: "error", listener: (error: Error) => void): unknown }>(
  emitter: T,
  name: string,
  logger: Logger,
): T {
  let lastLogged = 0;
  let leftOut = 0;
  emitter.on("error", (error) => {
    const now = Date.now();
    if (now - lastLogged < 30_000) {
      leftOut += 1;
      return;
    }
    logger.error(
      { component: name, error: (error as Error & { code?: string }).code ?? error.name, leftOut },
      "Redis-backed component failing",
    );
    lastLogged = now;
    leftOut = 0;
  });
  return emitter;
}

/** Evicted keys are lost reminders and lost credentials: say so loudly unless Redis never evicts. */
export async function warnUnlessNoEviction(redis: RedisClient, logger: Logger): Promise<void> {
  try {
    for (const node of await dataNodes(redis)) {
      const [, policy] = (await node.config("GET", "maxmemory-policy")) as [string, string];
      if (policy !== "noeviction") {
        logger.warn(
          { policy, node: `${node.options.host}:${node.options.port}` },
          "Redis maxmemory-policy is not noeviction: under memory pressure Redis may drop stored keys and reminders. Set maxmemory-policy noeviction.",
        );
      }
    }
  } catch (error) {
    logger.warn(
      { err: error },
      "could not read Redis maxmemory-policy (CONFIG may be disabled); make sure it is noeviction",
    );
  }
}
