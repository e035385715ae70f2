import { randomInt, randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createReminders, REMINDER_QUEUE, type ReminderJob } from "../../src/reminders/schedule.js";
import { DAY_MS } from "../../src/policy/key-policy.js";
import { createCredentialStore, type CredentialRecord } from "../../src/stores/credential-store.js";
import { parseKeyring } from "../../src/vault/keyring.js";
import { createSealer } from "../../src/vault/sealer.js";
import { canaryCredentials } from "./canaries.js";
import { GLOBAL_BYBIT, tradeOnlyFacts } from "./fake-bybit.js";

/** Followers with a key 85 days old, stored and scheduled as the bot would: each rotation reminder is due now. */
export async function dueReminders(
  redis: Redis,
  sealKeys: string,
  count: number,
  prefix = "{reminders}",
): Promise<CredentialRecord[]> {
  const credentials = createCredentialStore(redis, createSealer(parseKeyring(sealKeys)));
  const queue = new Queue<ReminderJob>(REMINDER_QUEUE, { connection: redis, prefix });
  const reminders = createReminders({
    queue,
    redis,
    clock: Date.now,
    rules: { rotateAfterDays: 80, keyMaxAgeDays: 90 },
  });
  const records: CredentialRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    const createdAt = Date.now() - 85 * DAY_MS;
    const facts = tradeOnlyFacts({ id: `id-${randomUUID()}`, name: `key ${i}`, createdAt });
    const record = (await credentials.save(
      randomInt(1_000_000, 2 ** 40),
      canaryCredentials(),
      GLOBAL_BYBIT,
      facts,
      Date.now(),
      0,
    ))!;
    await reminders.schedule(record);
    records.push(record);
  }
  await queue.close();
  return records;
}

/** How many rotation reminders each follower received, by what Telegram accepted. */
export const rotationRemindersIn = (texts: string[]) =>
  texts.filter((text) => text.startsWith("🔁 Time to replace")).length;
