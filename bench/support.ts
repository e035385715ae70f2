// What the benchmarks share: the real bot in a child process against its own redis-server and
// the protocol fakes, CPU time from /proc, and percentiles.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { loadConfig } from "../src/config.js";
import { startLocalRedis, type LocalRedis } from "../src/infra/local-redis.js";
import { DEFAULT_POOL_KEY } from "../src/stores/key-pairs.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import { startBybitSites, type FakeBybitSites } from "../test/support/bybit-sites.js";
import type { FakeBybit } from "../test/support/fake-bybit.js";
import { FakeTelegram } from "../test/support/fake-telegram.js";
import { processCpuMs, waitUntilIdle } from "./proc-cpu.js";

export const TOKEN = "123456789:AAbench-token-0123456789abcdefghij";
const CLOCK_TICKS_PER_SECOND = 100;

/** A process's user+system CPU time in ms: /proc/<pid>/stat fields 14 and 15, in clock ticks, after the parenthesised name. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The p-th percentile of an ascending list (nearest rank). */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
export const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)]!;
export const round1 = (value: number) => Math.round(value * 10) / 10;

export interface Stage {
  telegram: FakeTelegram;
  bybit: FakeBybit;
  /** A fake for every Bybit site: BYBIT_SITES points the bot at them. */
  bybitSites: FakeBybitSites;
  redis: Redis;
  redisUrl: string;
  /** The stage's redis-server, for its CPU. */
  redisPid: number;
  telegramUrl: string;
  bybitUrl: string;
  /** Runs an entry point (the real `src/main.ts` unless told) as production would, against this stage; waits until it polls. */
  startBot(entryPoint?: string, env?: Record<string, string>): Promise<ChildProcess>;
  stop(): Promise<void>;
}

/** A fresh redis-server and fresh fakes, so that one measurement never inherits another's state. */
export async function startStage(): Promise<Stage> {
  const localRedis: LocalRedis = await startLocalRedis();
  const telegram = new FakeTelegram(TOKEN);
  const [apiRoot, bybitSites] = await Promise.all([telegram.start(), startBybitSites()]);
  const bybit = bybitSites.global;
  const bybitUrl = bybitSites.baseUrl;
  const redis = new Redis(localRedis.url);
  const children: ChildProcess[] = [];
  return {
    telegram,
    bybit,
    bybitSites,
    redis,
    redisUrl: localRedis.url,
    redisPid: localRedis.pid,
    telegramUrl: apiRoot,
    bybitUrl,
    async startBot(entryPoint = "src/main.ts", env = {}) {
      // BENCH_PROFILE_DIR: a CPU profile of each bot, written there at its exit. BENCH_NODE_FLAGS: more flags for
      // node (`--trace-gc`, say), with the bot's standard output shown, where they print.
      const profile = process.env.BENCH_PROFILE_DIR
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
        : [];
      const flags = process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
      const child = spawn(process.execPath, [...profile, ...flags, "--import", "tsx", entryPoint], {
        stdio: ["ignore", flags.length > 0 ? "inherit" : "ignore", "inherit"],
        env: {
          ...process.env,
          NODE_ENV: "production",
          BOT_TOKEN: TOKEN,
          REDIS_URL: localRedis.url,
          SEAL_KEYS: generateKeyringEntry(),
          TELEGRAM_API_ROOT: apiRoot,
          BYBIT_BASE_URL: bybitUrl,
          BYBIT_SITES: bybitSites.env,
          LOG_LEVEL: "warn",
          PORT: "0",
          METRICS_PORT: "0",
          ...env,
        },
      });
      children.push(child);
      await telegram.waitForCall((call) => call.method === "getUpdates", 20_000, "the bot to start polling");
      return child;
    },
    async stop() {
      for (const child of children) {
        if (child.exitCode !== null) continue;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      redis.disconnect();
      await Promise.all([telegram.stop(), bybitSites.stop()]);
      await localRedis.stop();
    },
  };
}

/** The key-pair pool's size when KEY_PAIR_POOL_SIZE is not set, from src/config.ts. */
export const DEFAULT_POOL_SIZE = loadConfig({ BOT_TOKEN: TOKEN }).keyPairPoolSize;

export interface Startup {
  poolSize: number;
  /** From spawn until the bot's first getUpdates: wall time, and its CPU (all threads and descendants). */
  pollingWallMs: number;
  pollingCpuMs: number;
  /** From spawn until the pool holds `poolSize` pairs. */
  fullWallMs: number;
  fullCpuMs: number;
  /** Whether the bot then spent at most 20 ms of CPU in a whole second (within 20 s). */
  idle: boolean;
}

/**
 * Starts a bot and returns once its key-pair pool (`pool` pairs: KEY_PAIR_POOL_SIZE) is full and it has then been
 * idle for a second, so that start-up work stays out of what is measured next; with its start-up figures.
 */
export async function startReadyBot(
  stage: Stage,
  entryPoint: string,
  pool?: number,
  env: Record<string, string> = {},
): Promise<{ bot: ChildProcess; startup: Startup }> {
  const spawnedAt = performance.now();
  const bot = await stage.startBot(entryPoint, {
    ...(pool === undefined ? {} : { KEY_PAIR_POOL_SIZE: String(pool) }),
    ...env,
  });
  const pollingWallMs = performance.now() - spawnedAt;
  const pollingCpuMs = processCpuMs(bot.pid!);
  while (pool && (await stage.redis.llen(DEFAULT_POOL_KEY)) < pool) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const fullWallMs = performance.now() - spawnedAt;
  const fullCpuMs = processCpuMs(bot.pid!);
  const idle = await waitUntilIdle(bot.pid!);
  return { bot, startup: { poolSize: pool ?? 0, pollingWallMs, pollingCpuMs, fullWallMs, fullCpuMs, idle } };
}
