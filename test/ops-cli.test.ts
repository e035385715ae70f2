import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, startLocalRedis } from "../src/infra/local-redis.js";

/** `npm run ops -- <args>` as an operator runs it, in a clean environment plus `env`. */
function ops(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, SEAL_KEYS: _keys, NODE_ENV: _env, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", "src/ops/cli.ts", ...args], {
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out, err })));
}

describe("npm run ops on the command line", () => {
  it("answers an unknown option or command with one line and the usage, never a stack", async () => {
    for (const [args, line] of [
      [["stats", "--frob"], "unknown option: --frob"],
      [["stats", "--yes"], "--yes is an option of freeze-all, not of stats"],
      [["frob"], "unknown command: frob"],
      [["audit", "--user"], "Option '--user <value>' argument missing"],
      [[], "Usage: npm run ops -- <command>"],
    ] as const) {
      const { code, err } = await ops([...args]);
      expect(code).toBe(2);
      expect(err.split("\n")[0]).toBe(line);
      expect(err).toContain("Usage: npm run ops -- <command>");
      expect(err).not.toMatch(/\n\s+at /);
    }
    // A bad argument is found before any Redis is looked for.
    const { code, err } = await ops(["inspect", "abc"]);
    expect([code, err]).toEqual([2, "not a Telegram user id: abc\n"]);
  }, 30_000);

  it("finds the development Redis of `npm start` in the data folder, with no REDIS_URL", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ops-dev-"));
    const redis = await startLocalRedis({ dataDir: join(dataDir, "redis") });
    try {
      await expect(startLocalRedis({ dataDir: join(dataDir, "redis") })).rejects.toThrow(
        /already runs on .*another `npm start`/,
      );
      const { code, out, err } = await ops(["stats"], { DATA_DIR: dataDir });
      expect(err).toContain(`using the development Redis of \`npm start\` (${redis.url}`);
      expect(code).toBe(0);
      expect(out).toContain("followers with a key: 0");
    } finally {
      await redis.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // A second npm start on the same data folder is refused while the first one's Redis runs.
    // Stopped: the address is gone with it, and the operator is told what to set.
    const { code, err } = await ops(["stats"], { DATA_DIR: dataDir });
    expect(code).toBe(2);
    expect(err).toContain("REDIS_URL: is required");
  }, 30_000);

  it("says npm start's Redis is not running when its address outlived it (a kill -9)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ops-dev-"));
    mkdirSync(join(dataDir, "redis"));
    writeFileSync(join(dataDir, "redis", "address"), `redis://127.0.0.1:${await freePort()}\n`);
    try {
      const { code, err } = await ops(["stats"], { DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(err).toMatch(
        /the development Redis of `npm start` \(redis:\/\/127\.0\.0\.1:\d+\) is not running: start `npm start`, or set REDIS_URL/,
      );
      expect(err).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
