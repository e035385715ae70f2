import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, expect, inject, it } from "vitest";
import type { DeleteOutcome } from "../src/bot/intake/fast-delete.js";
import { createPendingDeletions } from "../src/bot/intake/pending-deletions.js";
import { createShredder } from "../src/bot/intake/shredder.js";
import { createMetrics } from "../src/metrics/metrics.js";

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

it("attack27: a batch recorded after stop() (Telegram hanging at connect) is still handed over at once", async () => {
  const redis = new Redis(inject("redisUrl"));
  cleanup.push(() => redis.quit());
  const key = `{attack27-stop-${process.pid}}:pending`;
  cleanup.push(() => redis.del(key, `${key}:answered`));
  const hanging: ((outcome: DeleteOutcome) => void)[] = [];
  const shredder = createShredder({
    // Telegram unreachable: the request never reaches the wire, and fails only at its timeout.
    deleteOnce: () => new Promise((resolve) => hanging.push(resolve)),
    pending: createPendingDeletions(redis, key),
    tellNotDeleted: async () => undefined,
    tellUnanswered: async () => undefined,
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
  });
  cleanup.push(() => hanging.forEach((resolve) => resolve({ result: "retry" })));
  const recorded = shredder.shredBatch([{ chatId: 1, messageId: 7 }], performance.now());
  await sleep(200);
  // A graceful shutdown while the batch waits for its record: what is pending goes to the next process now.
  await shredder.stop(true);
  await recorded;
  await sleep(50);
  const [, score] = await redis.zrange(key, "0", "-1", "WITHSCORES");
  expect(await redis.zcard(key)).toBe(1);
  expect(Number(score)).toBeLessThanOrEqual(Date.now());
});
