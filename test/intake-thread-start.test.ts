import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { freePort } from "../src/infra/local-redis.js";
import {
  childProcesses,
  cleanupAfterEach,
  intakeRig as rig,
  settledThreads,
  type PollSignal as Signal,
} from "./support/intake-rig.js";
import { useServiceStage } from "./support/service.js";

// Long polling's first poll, while its thread's code is being bundled by esbuild's async build (an abort,
// two polls, the bundler dying), and what an operator reads of the event loop once it is sampled every 100 ms.
const TOKEN = "767676:AAintake-start-token-0123456789abcdef";
const cleanup = cleanupAfterEach();
const user = { id: 777_676, is_bot: false as const, first_name: "Ed" };

/** intake-client.ts as a process first loads it, nothing bundled yet (a test worker shares modules between files). */
async function freshIntake() {
  vi.resetModules();
  return (await import("../src/bot/intake/intake-client.js")).createIntakeThread;
}

/** The esbuild process started since `before` (the bundler of the poll under way), once it runs esbuild. */
async function newBundler(before: number[], children = childProcesses): Promise<number> {
  for (let tries = 0; tries < 2000; tries += 1) {
    const bundler = children().find(({ pid, command }) => command === "esbuild" && !before.includes(pid));
    if (bundler) return bundler.pid;
    await sleep(10);
  }
  throw new Error("no esbuild process was started for the first poll");
}
const pids = () => childProcesses().map(({ pid }) => pid);
/** Whether a process runs (or is stopped), neither gone nor a zombie, whoever its parent now is. */
const running = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

it("leaves no bundler running once the thread is up: it cost about 2 ms of CPU a second, idle", async () => {
  // A fresh copy bundles here, in this test, whatever other files of this worker bundled before.
  const { telegram, api, signal } = await rig(TOKEN, cleanup, { createIntake: await freshIntake() });
  telegram.sendText(user, "hello");
  expect(await api.getUpdates({ timeout: 0 }, signal)).toHaveLength(1);
  await sleep(100);
  expect(childProcesses().map(({ command }) => command)).not.toContain("esbuild");
});

it("a stop while the thread's code is bundled ends the poll at once, and no thread is started after it", async () => {
  const { api } = await rig(TOKEN, cleanup, { createIntake: await freshIntake() });
  const before = pids();
  const stopping = new AbortController();
  const poll = api.getUpdates({ timeout: 30 }, stopping.signal as Signal).catch((error: unknown) => error);
  // A bundle that takes its time (a busy machine at start-up): here, its esbuild stopped.
  const bundler = await newBundler(before);
  process.kill(bundler, "SIGSTOP");
  const resume = async () => {
    if (pids().includes(bundler)) process.kill(bundler, "SIGCONT");
    // The bundle done, its esbuild is stopped (and a bundle made meanwhile in this process would never end).
    for (let tries = 0; tries < 100 && pids().includes(bundler); tries += 1) await sleep(20);
  };
  cleanup.push(resume);
  stopping.abort();
  // The runner's stop waits for this poll, and the shutdown for the runner: it waited for the bundle.
  expect(await Promise.race([poll, sleep(1000, "still waiting for the bundle")])).toBeInstanceOf(Error);
  const threads = await settledThreads();
  await resume();
  expect(pids()).not.toContain(bundler);
  // No thread starts for the poll that was stopped.
  expect(await settledThreads()).toBe(threads);
});

it("starts one thread for two polls made while its code is bundled", async () => {
  const { telegram, api } = await rig(TOKEN, cleanup);
  // A thread started and ended first, so that what a first thread starts for good is counted before.
  const warm = new AbortController();
  telegram.sendText(user, "hello");
  await api.getUpdates({ timeout: 0 }, warm.signal as Signal);
  warm.abort();
  const before = await settledThreads();
  const fresh = await rig(TOKEN, cleanup, { createIntake: await freshIntake() });
  const polling = new AbortController();
  const signal = polling.signal as Signal;
  const both = Promise.all([0, 0].map((timeout) => fresh.api.getUpdates({ timeout }, signal)));
  expect(await both).toEqual([[], []]);
  // A second thread would have been lost: the stop ends the thread it knows of.
  polling.abort();
  expect(await settledThreads()).toBe(before);
});

it("polls at the next call when its bundler died at the first", async () => {
  const { telegram, api, intake, lines, signal } = await rig(TOKEN, cleanup, { createIntake: await freshIntake() });
  const before = pids();
  const first = api.getUpdates({ timeout: 0 }, signal).catch((error: unknown) => error);
  // As the OOM killer would.
  process.kill(await newBundler(before), "SIGKILL");
  expect(await first).toBeInstanceOf(Error);
  expect(intake.healthy()).toBe(false);
  expect(lines.some((line) => String(line.msg).includes("could not start"))).toBe(true);
  telegram.sendText(user, "hello");
  expect(await api.getUpdates({ timeout: 0 }, signal)).toHaveLength(1);
  expect(intake.healthy()).toBe(true);
  expect(childProcesses().map(({ command }) => command)).not.toContain("esbuild");
});

describe("the real service", () => {
  const stage = useServiceStage(TOKEN);
  const lag = (text: string, name: string) =>
    Number(new RegExp(`^nodejs_eventloop_lag_${name}_seconds (\\S+)$`, "m").exec(text)?.[1]);

  it("shuts down at once, exit code 0, when stopped while the first poll's code is bundled", async () => {
    const bot = stage.start({ ROLE: "bot", KEY_PAIR_POOL_SIZE: "0" });
    // Its esbuild held up (a busy machine), long enough for the bot to be up and to be stopped. Started by its main
    // thread: tsx's, for a cold cache, by its loader thread and esbuild's sync worker.
    const pid = bot.child.pid!;
    const bundler = await newBundler([], () => childProcesses(pid).filter((child) => child.thread === pid));
    process.kill(bundler, "SIGSTOP");
    cleanup.push(() => void (running(bundler) && process.kill(bundler, "SIGKILL")));
    await sleep(500);
    expect(bot.output()).toContain("bot is running");
    const stoppedAt = performance.now();
    bot.child.kill("SIGTERM");
    const { code, at } = await bot.exited;
    // It waited for the bundle until its bound (8 s), then exited 1: "shutdown took too long".
    expect({ code, promptly: at - stoppedAt < 3000 }).toEqual({ code: 0, promptly: true });
    // Its esbuild does not outlive it: resumed, it finds the bot gone and ends.
    process.kill(bundler, "SIGCONT");
    await sleep(300);
    expect(running(bundler)).toBe(false);
  }, 30_000);

  it("reads about 0 for an idle process: the 100 ms between two samples is not lag", async () => {
    const port = await freePort();
    const worker = stage.start({ ROLE: "worker", METRICS_PORT: String(port) });
    cleanup.push(() => worker.crash());
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (let tries = 0; (await scrape().catch(() => "")) === ""; tries += 1) {
      if (tries > 200) throw new Error("no /metrics");
      await sleep(100);
    }
    // Each scrape reads what was sampled since the last one: start-up is behind the first.
    await sleep(2000);
    const idle = await scrape();
    for (const name of ["min", "mean", "p50", "p90"]) expect(lag(idle, name), name).toBeLessThan(0.05);
    for (const name of ["max", "p99", "stddev"]) expect(lag(idle, name), name).toBeGreaterThanOrEqual(0);
    expect(idle).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  }, 30_000);
});
