import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

export interface LocalRedis {
  url: string;
  /** The redis-server's process id (benchmarks read its CPU). */
  pid: number;
  stop(): Promise<void>;
}

export interface LocalRedisOptions {
  /** Keep data in this folder with the append-only file on; without it nothing is persisted. */
  dataDir?: string;
  /** A port of its own choosing (a Redis started again where it was); any free one by default. */
  port?: number;
  /** More redis-server options (a test's cluster node). */
  args?: string[];
}

export class RedisNotInstalledError extends Error {
  constructor() {
    super(
      "redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, " +
        "macOS: `brew install redis`), or run `docker compose up -d redis` and set " +
        "REDIS_URL=redis://:<REDIS_PASSWORD>@localhost:6379 (the password compose was given).",
    );
    this.name = "RedisNotInstalledError";
  }
}

const ADDRESS_FILE = "address";

/** The URL of the redis-server started in `dataDir` and running (or killed without a stop), if any. */
export function localRedisAddress(dataDir: string): string | null {
  const path = join(dataDir, ADDRESS_FILE);
  return existsSync(path) ? readFileSync(path, "utf8").trim() || null : null;
}

export class DataDirInUseError extends Error {
  constructor(dataDir: string, url: string) {
    super(
      `A redis-server already runs on ${dataDir} (${url}): another \`npm start\` uses this data folder, or one ` +
        `that was killed left it running. Stop that one (or \`redis-cli -u ${url} shutdown\`), ` +
        "or give this one DATA_DIR=<another folder>.",
    );
    this.name = "DataDirInUseError";
  }
}

/** Whether a Redis answers at `url`, within a second. */
async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Starts a private `redis-server` from PATH on a free loopback port, for `npm start` without REDIS_URL, tests and benchmarks. */
export async function startLocalRedis({
  dataDir,
  port: chosen,
  args = [],
}: LocalRedisOptions = {}): Promise<LocalRedis> {
  // Two redis-servers on one data folder would split and corrupt it: the one running keeps it.
  const running = dataDir ? localRedisAddress(dataDir) : null;
  if (running && (await answers(running))) throw new DataDirInUseError(dataDir!, running);
  const port = chosen ?? (await freePort());
  const persistence = dataDir
    ? (mkdirSync(dataDir, { recursive: true }), ["--dir", dataDir, "--appendonly", "yes", "--appendfsync", "everysec"])
    : ["--appendonly", "no"];
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--maxmemory-policy",
      "noeviction",
      ...persistence,
      ...args,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<NodeJS.ErrnoException | number | null>((resolve) => {
    child.once("error", resolve);
    child.once("exit", resolve);
  });
  const url = `redis://127.0.0.1:${port}`;

  const ready = (async () => {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (await answers(url)) return true;
      await sleep(50);
    }
    return false;
  })();
  const outcome = await Promise.race([ready, exited]);
  if (outcome !== true) {
    child.kill("SIGKILL");
    if (typeof outcome === "object" && outcome?.code === "ENOENT") throw new RedisNotInstalledError();
    throw new Error(`redis-server did not start on port ${port}`);
  }

  // However this process ends (an error at start, process.exit), its redis-server ends with it.
  // SIGTERM, sent synchronously from the exit handler: Redis still flushes its append-only file.
  // Where `npm run ops` finds it without being told (a new port at each start); gone with it.
  const address = dataDir ? join(dataDir, ADDRESS_FILE) : null;
  if (address) writeFileSync(address, `${url}\n`);
  const orphaned = () => {
    if (address) rmSync(address, { force: true });
    if (child.exitCode === null) child.kill("SIGTERM");
  };
  process.once("exit", orphaned);
  return {
    url,
    pid: child.pid!,
    async stop() {
      process.off("exit", orphaned);
      if (address) rmSync(address, { force: true });
      if (child.exitCode !== null) return;
      // SIGTERM lets Redis flush its append-only file before it exits.
      child.kill("SIGTERM");
      await exited;
    },
  };
}
