import { spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll } from "vitest";
import { startLocalRedis, type LocalRedis } from "../../src/infra/local-redis.js";
import { generateKeyringEntry } from "../../src/vault/keyring.js";
import { FakeBybit } from "./fake-bybit.js";
import { FakeTelegram } from "./fake-telegram.js";

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

/** Starts the service with the environment given on top of a clean one (no REDIS_URL, SEAL_KEYS or NODE_ENV inherited). */
export function startService(env: Record<string, string>): Service {
  const { REDIS_URL: _redis, SEAL_KEYS: _keys, NODE_ENV: _node, ...inherited } = process.env;
  const startedAt = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    // Any free port: several services run at once here.
    env: { ...inherited, NODE_ENV: "production", LOG_LEVEL: "info", PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
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

/** What tests of real processes share: a redis-server of their own, both fakes, and the env that points the service at them. */
export interface ServiceStage {
  redisUrl: string;
  telegram: FakeTelegram;
  bybit: FakeBybit;
  env: Record<string, string>;
  /** Starts the service on this stage, `extra` on top of its env; crashed at the end of the file if still running. */
  start(extra?: Record<string, string>): Service;
}

/** Sets the stage up before the file's tests and takes it down after them (every service it started included). */
export function useServiceStage(token: string, extraEnv: Record<string, string> = {}): ServiceStage {
  const services: Service[] = [];
  let redisServer: LocalRedis;
  const stage = {
    start(extra: Record<string, string> = {}) {
      const service = startService({ ...stage.env, ...extra });
      services.push(service);
      return service;
    },
  } as ServiceStage;
  beforeAll(async () => {
    redisServer = await startLocalRedis();
    stage.telegram = new FakeTelegram(token);
    stage.bybit = new FakeBybit();
    const [apiRoot, bybitUrl] = await Promise.all([stage.telegram.start(), stage.bybit.start()]);
    stage.redisUrl = redisServer.url;
    stage.env = { BOT_TOKEN: token, REDIS_URL: redisServer.url, SEAL_KEYS: generateKeyringEntry(), TELEGRAM_API_ROOT: apiRoot, BYBIT_BASE_URL: bybitUrl, ...extraEnv };
  });
  afterAll(async () => {
    await Promise.all(services.filter((service) => service.child.exitCode === null).map((service) => service.crash()));
    await Promise.all([stage.telegram.stop(), stage.bybit.stop(), redisServer.stop()]);
  });
  return stage;
}
