import { spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";

// Free of vitest, so that benchmarks (bench/) start the service the same way the tests do.

/** The real `src/main.ts` in a child process, as an operator runs it. */
export interface Service {
  child: ChildProcess;
  /** performance.now() when it was started. */
  startedAt: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when it exits: code, signal, and performance.now() at that moment. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** kill -9: no shutdown, no cleanup, as a crash. */
  crash(): Promise<void>;
}

/**
 * Starts the service with the environment given on top of a clean one (no REDIS_URL, SEAL_KEYS or
 * NODE_ENV inherited). `cwd`: another checkout of the project (a benchmark's "old code"); this one
 * by default.
 */
export function startService(env: Record<string, string>, cwd?: string): Service {
  const { REDIS_URL: _redis, SEAL_KEYS: _keys, NODE_ENV: _node, ...inherited } = process.env;
  const startedAt = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    // Any free port: several services run at once here.
    env: { ...inherited, NODE_ENV: "production", LOG_LEVEL: "info", PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return {
    child,
    startedAt,
    output: () => output,
    exited,
    async crash() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
