import { Queue } from "bullmq";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { startReconciling } from "../src/jobs/reconcile.js";
import { createReminders, REMINDER_QUEUE, reminderJobId, type ReminderJob } from "../src/reminders/schedule.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { createCredentialStore, type CredentialRecord } from "../src/stores/credential-store.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "./support/canaries.js";
import { dueReminders } from "./support/due-reminders.js";
import { tradeOnlyFacts, GLOBAL_BYBIT } from "./support/fake-bybit.js";
import { useOwnRedis } from "./support/own-redis.js";

// A redis-server of its own: a reconciliation reads every key in its Redis.
const own = useOwnRedis();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rounds(keyring: string, count: number, told: CredentialRecord[]): Promise<void> {
  const credentials = createCredentialStore(own.redis, createSealer(parseKeyring(keyring)));
  const queue = new Queue<ReminderJob>(REMINDER_QUEUE, { connection: own.redis, prefix: "{reminders}" });
  const reminders = createReminders({
    queue,
    redis: own.redis,
    clock: Date.now,
    rules: { rotateAfterDays: 80, keyMaxAgeDays: 90 },
  });
  const everyMs = 400;
  const reconciling = startReconciling({
    credentials,
    reminders,
    redis: own.redis,
    prefix: "{reminders}",
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    tellUnreadable: async (record) => void told.push(record),
    everyMs,
  });
  await sleep(count * everyMs - everyMs / 2);
  reconciling.stop();
  await sleep(everyMs / 2);
  await queue.close();
}

describe("the reconciliation", () => {
  it("takes a key out of use while its keyring entry is missing, tells the follower once if it stays so, and puts it back when the entry returns", async () => {
    const old = generateKeyringEntry();
    const [record] = await dueReminders(own.redis, old, 1);
    const credentials = createCredentialStore(own.redis, createSealer(parseKeyring(old)));
    const told: CredentialRecord[] = [];

    // A worker started with only a newer entry: out of use at once, the follower told a round later, once.
    await rounds(generateKeyringEntry(), 3, told);
    expect((await credentials.current(record!.userId))?.status).toBe("unreadable");
    expect(told.map((each) => each.userId)).toEqual([record!.userId]);

    // The old entry is back: the key is in use again.
    await rounds(`${generateKeyringEntry()},${old}`, 1, told);
    expect((await credentials.current(record!.userId))?.status).toBe("active");
    expect(told).toHaveLength(1);

    // A key the follower connects later, sealed with an entry that goes missing too: they hear of it as well.
    const facts = tradeOnlyFacts({ id: "a-later-key", name: "later", expiresAt: null });
    const later = (await credentials.save(record!.userId, canaryCredentials(), GLOBAL_BYBIT, facts, Date.now(), 0))!;
    await rounds(generateKeyringEntry(), 3, told);
    expect(told.map((each) => each.ref)).toEqual([record!.ref, later.ref]);
  }, 30_000);

  it("gives an expired key back its expiry reminder when that job failed for good, and nothing else", async () => {
    const keyring = generateKeyringEntry();
    const [record] = await dueReminders(own.redis, keyring, 1);
    const credentials = createCredentialStore(own.redis, createSealer(parseKeyring(keyring)));
    const queue = new Queue<ReminderJob>(REMINDER_QUEUE, { connection: own.redis, prefix: "{reminders}" });
    await queue.remove(reminderJobId("expiry", record!.ref));
    await queue.remove(reminderJobId("rotate", record!.ref));
    await credentials.setStatus(record!.userId, record!.ref, "expired");

    await rounds(keyring, 1, []);
    expect(await queue.getJob(reminderJobId("expiry", record!.ref))).toBeDefined();
    expect(await queue.getJob(reminderJobId("rotate", record!.ref))).toBeUndefined();
    await queue.close();
  }, 20_000);
});
