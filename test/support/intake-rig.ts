import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Api } from "grammy";
import { Redis } from "ioredis";
import { afterEach, inject } from "vitest";
import { shredAtIntake } from "../../src/bot/intake/at-intake.js";
import { createFastDelete, telegramAgent } from "../../src/bot/intake/fast-delete.js";
import { createIntakeThread } from "../../src/bot/intake/intake-client.js";
import { createPendingDeletions } from "../../src/bot/intake/pending-deletions.js";
import { createShredder } from "../../src/bot/intake/shredder.js";
import { createLogger } from "../../src/infra/logger.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { FakeTelegram } from "./fake-telegram.js";

type Step = () => Promise<unknown> | void;

/** Steps to undo after each test of the file that calls this, last first. */
export function cleanupAfterEach(): Step[] {
  const steps: Step[] = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return steps;
}

export type PollSignal = Parameters<Api["getUpdates"]>[1];

export interface IntakeRigOptions {
  /** Another copy of intake-client.ts (one freshly imported: nothing bundled yet); this one by default. */
  createIntake?: typeof createIntakeThread;
  /** Where long polling's thread finds Telegram (a bad address: a thread that cannot start). */
  apiRootForThread?: string;
  /** Owing an answer keeps a pending record until its update is answered, so that it can be looked at. */
  owing?: boolean;
}

/**
 * Long polling as the bot runs it, without the bot: grammY's Api with the intake's transformer (getUpdates
 * through long polling's thread), a shredder on a real Redis, a FakeTelegram, and the log's lines.
 */
export async function intakeRig(token: string, cleanup: Step[], options: IntakeRigOptions = {}) {
  const telegram = new FakeTelegram(token);
  const apiRoot = await telegram.start();
  cleanup.push(() => telegram.stop());
  const redis = new Redis(inject("redisUrl"));
  cleanup.push(() => redis.quit());
  const key = `{intake-rig-${process.pid}}:pending`;
  cleanup.push(() => redis.del(key, `${key}:answered`));
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "info",
    neverLog: [token],
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const metrics = createMetrics();
  const shredder = createShredder({
    deleteOnce: createFastDelete(apiRoot, token, telegramAgent(apiRoot)),
    pending: createPendingDeletions(redis, key),
    tellNotDeleted: async () => undefined,
    ...(options.owing ? { tellUnanswered: async () => undefined } : {}),
    logger,
    metrics,
  });
  cleanup.push(() => shredder.stop());
  const api = new Api(token, { apiRoot });
  const intake = (options.createIntake ?? createIntakeThread)(
    { apiRoot: options.apiRootForThread ?? apiRoot, token },
    logger,
  );
  shredAtIntake(api, shredder, intake, { logger, metrics });
  // Polls as the runner does, with a signal: its abort at the end ends the thread, which would live on in this worker.
  const polls = new AbortController();
  cleanup.push(() => polls.abort());
  return { telegram, api, redis, key, lines, intake, metrics, signal: polls.signal as PollSignal };
}

/** A process's children, each with its command and the thread that started it, from /proc. */
export const childProcesses = (of: number | "self" = "self") =>
  readdirSync(`/proc/${of}/task`).flatMap((task) =>
    readFileSync(`/proc/${of}/task/${task}/children`, "utf8")
      .split(" ")
      .filter(Boolean)
      .map((pid) => {
        const thread = Number(task);
        try {
          return { pid: Number(pid), thread, command: readFileSync(`/proc/${pid}/comm`, "utf8").trim() };
        } catch {
          return { pid: Number(pid), thread, command: "(gone)" };
        }
      }),
  );

/** This process's threads, as the kernel counts them: a worker thread is one. */
const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]);
/** The thread count once it has stayed put for half a second (a thread ends some time after its terminate()). */
export async function settledThreads(): Promise<number> {
  let count = threads();
  for (let tries = 0; tries < 50; tries += 1) {
    await sleep(100);
    const now = threads();
    if (now === count && tries >= 5) return now;
    count = now;
  }
  return count;
}
