// `!clock +80d`: what the days ahead would bring, now. The bot's reminders wait in BullMQ as
// delayed jobs in its Redis (found through the address file `npm start`'s Redis leaves in the data
// folder); those due within the span are moved to "due now", and the bot sends them at once.
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { localRedisAddress } from "../../src/infra/local-redis.js";
import { REMINDER_QUEUE, type ReminderJob } from "../../src/reminders/schedule.js";

const DAY_MS = 86_400_000;

/** "+80d", "80d", "+12h": the span in ms, or null. */
export function spanOf(text: string): number | null {
  const match = /^\+?(\d{1,4})\s*([dh])$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (match[2] === "d" ? DAY_MS : DAY_MS / 24);
}

/** Brings forward the reminders due within `spanMs`: one line per reminder, or why none. */
export async function bringForward(dataDir: string, spanMs: number): Promise<string[]> {
  const url = localRedisAddress(join(dataDir, "redis"));
  if (url === null) return ["(the bot's Redis is not up yet: try again in a moment)"];
  const connection = new Redis(url, { maxRetriesPerRequest: 1 });
  const queue = new Queue<ReminderJob>(REMINDER_QUEUE, { connection, prefix: "{reminders}" });
  try {
    const now = Date.now();
    const lines: string[] = [];
    for (const job of await queue.getDelayed()) {
      const due = job.timestamp + (job.opts.delay ?? 0);
      if (due > now + spanMs) continue;
      await job.promote();
      const days = Math.max(0, Math.round((due - now) / DAY_MS));
      lines.push(`(brought forward: the ${job.data.kind} reminder due in ${days} days; the bot sends it now)`);
    }
    return lines.length > 0 ? lines : ["(no reminder is due within that span: connect a key first, then !clock +90d)"];
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
