// What the benchmarks share: the real bot in a child process against its own redis-server and
// the protocol fakes, CPU time from /proc, and percentiles.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { startLocalRedis, type LocalRedis } from "../src/infra/local-redis.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import { startBybitSites, type FakeBybitSites } from "../test/support/bybit-sites.js";
import type { FakeBybit } from "../test/support/fake-bybit.js";
import { FakeTelegram } from "../test/support/fake-telegram.js";

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
    telegramUrl: apiRoot,
    bybitUrl,
    async startBot(entryPoint = "src/main.ts", env = {}) {
      const profile = process.env.BENCH_PROFILE_DIR
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
        : [];
      const child = spawn(process.execPath, [...profile, "--import", "tsx", entryPoint], {
        stdio: ["ignore", "ignore", "inherit"],
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
