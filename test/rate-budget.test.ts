import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { bucketsFor } from "../src/bot/sending/budget.js";
import { createRateBudget } from "../src/budget/rate-budget.js";
import { busiest } from "./support/busiest.js";

const redis = new Redis(inject("redisUrl"));
afterAll(() => redis.disconnect());

describe("the shared Telegram budget", () => {
  it("keeps two processes together under 30 messages in any second", async () => {
    const prefix = `test-${randomUUID()}:`;
    const other = new Redis(inject("redisUrl"));
    const processes = [createRateBudget(redis, prefix), createRateBudget(other, prefix)];
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 80 }, async (_, index) => {
        await processes[index % 2]!.take(bucketsFor(index + 1, "reply"));
        granted.push(performance.now());
      }),
    );
    other.disconnect();
    expect(busiest(granted, 1000)).toBeLessThanOrEqual(30);
    // 80 messages to 80 chats at 27 a second: about three seconds, not more.
    expect(Math.max(...granted) - Math.min(...granted)).toBeLessThan(3500);
  });

  it("lets replies go first: a reminder waits while replies keep the budget busy", async () => {
    const budget = createRateBudget(redis, `test-${randomUUID()}:`);
    const replies: number[] = [];
    const stream = Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        await budget.take(bucketsFor(index + 1, "reply"));
        replies.push(performance.now());
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await budget.take(bucketsFor(999, "background"), undefined, "yield");
    const reminderAt = performance.now();
    await stream;
    expect(replies.filter((at) => at > reminderAt).length).toBeLessThanOrEqual(3);
  });

  it("paces yielding callers too, at a rate that is not a whole number of milliseconds", async () => {
    const budget = createRateBudget(redis, `test-${randomUUID()}:`);
    const bucket = [{ key: "{bench}:all", intervalMs: 1000 / 60, toleranceMs: 0 }];
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 15; i += 1) {
          await budget.take(bucket, undefined, "yield");
          granted.push(performance.now());
        }
      }),
    );
    // 120 at 60 a second: about two seconds; at most 60 (and one at the edge) in any second.
    expect(busiest(granted, 1000)).toBeLessThanOrEqual(61);
  });

  it("holds one chat to a burst of four, then one a second", async () => {
    const budget = createRateBudget(redis, `test-${randomUUID()}:`);
    const started = performance.now();
    const granted: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      await budget.take(bucketsFor(42, "reply"));
      granted.push(performance.now() - started);
    }
    expect(granted.filter((at) => at < 500)).toHaveLength(4);
    expect(granted[5]!).toBeGreaterThan(1900);
  });
});
