import { describe, expect, it } from "vitest";
import { claimReminder } from "../src/reminders/claim.js";
import { sleep } from "./support/bot-processes.js";
import { useOwnRedis } from "./support/own-redis.js";

const own = useOwnRedis();
let next = 0;
const reminder = () => ({ userId: 4242, ref: `claim-test-${(next += 1)}`, kind: "rotate" as const });

describe("a reminder's claim", () => {
  it("holds while its attempt lives, however long the send waits: no second attempt sends meanwhile", async () => {
    const job = reminder();
    const first = await claimReminder(own.redis, job, 300);
    if (!first.held) throw new Error("the first attempt should hold the claim");
    // Three leases later (a send waiting its turn in the budget), the claim is still this attempt's.
    await sleep(1000);
    expect(await claimReminder(own.redis, job, 300)).toMatchObject({ held: false, done: false });
    await first.claim.record("sent", 60);
    expect(await claimReminder(own.redis, job, 300)).toEqual({ held: false, done: true });
  });

  it("runs out once its attempt is gone, and the reminder can go out again", async () => {
    const job = reminder();
    const dead = await claimReminder(own.redis, job, 300);
    if (!dead.held) throw new Error("the attempt should hold the claim");
    dead.claim.end(); // as a process that died: nothing renews it
    await sleep(600);
    const again = await claimReminder(own.redis, job, 300);
    expect(again.held).toBe(true);
    if (again.held) await again.claim.release();
  });
});
