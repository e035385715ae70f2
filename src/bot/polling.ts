import type { RunOptions } from "@grammyjs/runner";

/**
 * Long polling as the service runs it. After a failed getUpdates the runner retries every 2 s,
 * for ever: its default backoff doubles towards hours, so polling came back 42 s after a
 * 60-second Telegram outage, and shutdown waited on that backoff (the wait cannot be cut short).
 * Silent: the runner would print fetch errors, whose URLs hold the bot token; the send path
 * logs them scrubbed.
 */
export const POLLING: RunOptions<unknown> = {
  runner: { silent: true, retryInterval: 2000, maxRetryTime: Number.POSITIVE_INFINITY },
  // Updates handled at once, waiting ones included (the runner's default is 500): with each chat's
  // backlog capped (limits/backlog.ts), it takes hundreds of busy chats to fill.
  sink: { concurrency: 2000 },
};
