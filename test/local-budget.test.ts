import { describe, expect, it } from "vitest";
import { bucketsFor } from "../src/bot/sending/budget.js";
import { withLocalFallback, type FallbackReason } from "../src/budget/local-budget.js";
import { askRedis, type RateBudget } from "../src/budget/rate-budget.js";
import { useOwnRedis } from "./support/own-redis.js";
import { busiest } from "./support/busiest.js";

// A redis-server of this file's own: these tests fill it up and pause its writes.
const own = useOwnRedis();

const budgetFor = (reasons: FallbackReason[], answerWithinMs = 2000) =>
  withLocalFallback(askRedis(own.redis, "local-budget-test:"), {
    answerWithinMs,
    fellBack: (reason) => reasons.push(reason),
  });

async function sendAll(count: number, budget: RateBudget): Promise<number[]> {
  const granted: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      await budget.take(bucketsFor(index + 1, "reply"));
      granted.push(performance.now());
    }),
  );
  return granted;
}

describe("the Telegram budget through a Redis fault", () => {
  it("paces sends in the process at the same rate while Redis refuses the budget's write", async () => {
    await own.redis.config("SET", "maxmemory", "1");
    const reasons: FallbackReason[] = [];
    try {
      const granted = await sendAll(60, budgetFor(reasons));
      expect(busiest(granted, 1000)).toBeLessThanOrEqual(30);
      expect(Math.max(...granted) - Math.min(...granted)).toBeLessThan(3000);
    } finally {
      await own.redis.config("SET", "maxmemory", "0");
    }
    expect(reasons.length).toBeGreaterThan(0);
    expect(new Set(reasons)).toEqual(new Set(["refused"]));
  });

  it("does not wait for a Redis that answers too slowly, and goes back to the shared budget after the fault", async () => {
    const reasons: FallbackReason[] = [];
    const paused = own.redis.duplicate();
    await paused.client("PAUSE", 1500, "WRITE");
    paused.disconnect();
    const started = performance.now();
    const budget = budgetFor(reasons, 200);
    const granted = await sendAll(10, budget);
    expect(Math.max(...granted) - started).toBeLessThan(1000);
    expect(reasons).toContain("slow");
    // After the pause the shared budget takes every send again.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await own.redis.del("local-budget-test:{telegram-budget}:all");
    const before = reasons.length;
    await sendAll(5, budget);
    expect(reasons.length).toBe(before);
    expect(await own.redis.exists("local-budget-test:{telegram-budget}:all")).toBe(1);
  });
});
