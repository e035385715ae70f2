import type { Queue } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { reminderJobId, sentMarkerKey, type ReminderJob } from "../src/reminders/schedule.js";
import { DAY_MS } from "../src/policy/key-policy.js";
import type { ReminderKind } from "../src/policy/rotation.js";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeKeyOptions } from "./support/fake-bybit.js";
import { submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness, type HarnessOptions } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

/**
 * Connects a key through the bot; returns the follower, the confirmation and the stored record. About
 * reminders, not Telegram's pace: replies in a chat go out 100 ms apart, not one a second.
 */
async function connected(key: Partial<FakeKeyOptions> = {}, options: HarnessOptions = {}) {
  h = await startHarness({ telegramLimits: ROOMY_CHATS, ...options });
  const alice = h.follower();
  const creds = canaryCredentials();
  h.bybit.addKey({ ...creds, note: "old-key", ...key });
  const confirmation = await submitKey(alice, creds);
  expect(confirmation).toContain("✅ Connected");
  const record = (await h.credentials.current(alice.user.id))!;
  return { alice, creds, confirmation, record };
}

async function dueAt(queue: Queue<ReminderJob>, kind: ReminderKind, ref: string): Promise<number | undefined> {
  const job = await queue.getJob(reminderJobId(kind, ref));
  return job ? job.timestamp + (job.opts.delay ?? 0) : undefined;
}

/** Waits until the job has run to the end (it is removed on completion). */
async function finished(queue: Queue<ReminderJob>, jobId: string): Promise<string> {
  for (let waited = 0; waited < 8000; waited += 25) {
    const job = await queue.getJob(jobId);
    if (!job) return "completed";
    const state = await job.getState();
    if (state === "failed") return state;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${jobId} did not finish`);
}

const remindersTo = (h: Harness, follower: Follower) =>
  follower.transcript().filter((text) => text.startsWith("🔁") || text.startsWith("⛔"));

describe("scheduling", () => {
  it("schedules both reminders of an expiring key: day 80 and Bybit's expiry", async () => {
    const createdAt = Date.now() - 10 * DAY_MS;
    const { record, confirmation } = await connected({ createdAt });
    expect(await dueAt(h.queue, "rotate", record.ref)).toBe(createdAt + 80 * DAY_MS);
    expect(await dueAt(h.queue, "expiry", record.ref)).toBe(createdAt + 90 * DAY_MS);
    expect(confirmation).toMatch(
      /I’ll remind you to replace it on \d+ \w+ \d{4}\. I’ll warn you a week and a day before it expires on \d+ \w+ \d{4}, and again that day\./,
    );
  });

  it("gives an IP-bound key, which never expires in Bybit, the service's own 90-day limit", async () => {
    const createdAt = Date.now() - 3 * DAY_MS;
    const { record } = await connected({ createdAt, ips: ["203.0.113.10"] }, { egressIps: ["203.0.113.10"] });
    expect(record.expiresAt).toBeNull();
    expect(await dueAt(h.queue, "rotate", record.ref)).toBe(createdAt + 80 * DAY_MS);
    expect(await dueAt(h.queue, "expiry", record.ref)).toBe(createdAt + 90 * DAY_MS);
  });

  it("sends a reminder that is already due at once, and says so when connecting", async () => {
    // The worker starts after "Connected": in production the two race, and either may come first.
    const { alice, confirmation, record } = await connected({ createdAt: Date.now() - 85 * DAY_MS }, { worker: false });
    h.startWorker();
    expect(confirmation).toContain("This key is already 85 days old and due to be replaced");
    expect(confirmation).toMatch(/I’ll warn you a day before it expires on \d+ \w+ \d{4}, and again that day\./);
    expect(await alice.reply()).toContain("🔁 Time to replace your key “old-key”");
    const reminder = h.telegram.lastBotMessage(alice.chat.id);
    expect(reminder.reply_markup).toEqual({
      inline_keyboard: [[{ text: "Replace now", callback_data: `rotate:start:${record.ref}` }]],
    });
  });

  it("shows the key and its reminders in /status", async () => {
    const { alice } = await connected({ createdAt: Date.now() - 10 * DAY_MS });
    alice.say("/status");
    const status = await alice.reply();
    expect(status).toContain("Key “old-key”");
    expect(status).toContain("active ✅");
    expect(status).toContain("Permissions: Contracts: Orders, Positions");
    expect(status).toMatch(/Expires: \d+ \w+ \d{4} \(80 days left\)/);
    expect(status).toMatch(
      /Reminders: to replace it on \d+ \w+ \d{4}, a week and a day before it expires, and at expiry on \d+ \w+ \d{4}\./,
    );
  });

  it("answers /status and /rotate without a key with how to connect one", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const bob = h.follower();
    bob.say("/status");
    expect(await bob.reply()).toBe("No key is connected. Send /connect to connect your Bybit API key.");
    // Rotating nothing is connecting a first key.
    bob.say("/rotate");
    expect(await bob.reply()).toContain("Let’s connect your Bybit account");
  });
});

describe("rotation", () => {
  it("rotates from the reminder's button: the new key replaces the old one, reminders move, nothing of the old key remains", async () => {
    const { alice, record: old } = await connected({ createdAt: Date.now() - 85 * DAY_MS });
    await alice.reply();
    const fresh = canaryCredentials();
    h.bybit.addKey({ ...fresh, note: "new-key", createdAt: Date.now() - 60_000 });

    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), `rotate:start:${old.ref}`);
    expect(await alice.reply()).toContain("Let’s replace your key</b> “old-key”");
    alice.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    const confirmation = await alice.reply();
    expect(confirmation).toContain("✅ Connected: key “new-key”");
    expect(confirmation).toContain(`Now delete the old key “old-key” (<code>${old.maskedKey}</code>) in Bybit`);

    const current = (await h.credentials.reveal(alice.user.id))!;
    expect(current.credentials).toEqual(fresh);
    expect(await dueAt(h.queue, "rotate", current.record.ref)).toBeDefined();
    expect(await dueAt(h.queue, "expiry", current.record.ref)).toBeDefined();
    expect(await dueAt(h.queue, "expiry", old.ref)).toBeUndefined();
    expect(await h.keysMatching(`*${old.ref}*`)).toEqual([]);
  });

  it("refuses the same key again", async () => {
    const { alice, creds } = await connected();
    const verdict = await submitKey(alice, creds, "/rotate");
    expect(verdict).toContain(
      "This is the key you already have connected. Create a new key in Bybit, then send me the key and secret again, or /cancel.",
    );
    expect(verdict).toContain("stays connected");
  });

  it("/disconnect purges the key and its reminders after one confirmation", async () => {
    const { alice, record } = await connected();
    alice.say("/disconnect");
    expect(await alice.reply()).toContain("Disconnect the key “old-key”");
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), `disconnect:${record.ref}`);
    expect(await alice.reply()).toContain(
      "Disconnected. I deleted the key from our storage, and copying has stopped. Your open positions and orders stay open in Bybit: close there what you no longer want. Now delete “old-key”",
    );
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect(await dueAt(h.queue, "rotate", record.ref)).toBeUndefined();
    expect(await dueAt(h.queue, "expiry", record.ref)).toBeUndefined();
  });

  it("treats a disconnect button from a replaced key as expired", async () => {
    const { alice, record } = await connected();
    alice.say("/disconnect");
    await alice.reply();
    const staleQuestion = h.telegram.lastBotMessage(alice.chat.id);
    const fresh = canaryCredentials();
    h.bybit.addKey(fresh);
    await submitKey(alice, fresh, "/rotate");
    h.telegram.pressButton(alice.user, staleQuestion, `disconnect:${record.ref}`);
    expect(await alice.reply()).toBe("This button has expired.");
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(fresh);
  });
});

describe("delivery", () => {
  it("sends nothing for a stale job whose credential was replaced", async () => {
    const { alice, record } = await connected();
    const stale = { ...record, ref: "00000000-0000-4000-8000-000000000000" };
    await h.reminders.schedule({ ...stale, createdAt: Date.now() - 85 * DAY_MS });
    expect(await finished(h.queue, reminderJobId("rotate", stale.ref))).toBe("completed");
    expect(remindersTo(h, alice)).toEqual([]);
  });

  it("sends one message when the same reminder runs twice", async () => {
    const { alice, record } = await connected({ createdAt: Date.now() - 85 * DAY_MS });
    await alice.reply();
    expect(await finished(h.queue, reminderJobId("rotate", record.ref))).toBe("completed");
    await h.reminders.schedule(record);
    expect(await finished(h.queue, reminderJobId("rotate", record.ref))).toBe("completed");
    expect(remindersTo(h, alice)).toHaveLength(1);
  });

  it("delivers exactly once when the worker is closed with the reminder in flight and started again", async () => {
    const { alice, record } = await connected({ createdAt: Date.now() - 85 * DAY_MS }, { worker: false });
    h.telegram.delayMethod("sendMessage", 500);
    const first = h.startWorker();
    await h.telegram.waitForCall((call) => call.method === "sendMessage" && String(call.payload.text).startsWith("🔁"));
    await first.close();
    h.startWorker();
    await h.reminders.schedule(record);
    expect(await finished(h.queue, reminderJobId("rotate", record.ref))).toBe("completed");
    expect(remindersTo(h, alice)).toHaveLength(1);
  });

  it("still delivers when an attempt died between claiming and sending, once its lease ran out", async () => {
    const { alice, record } = await connected({ createdAt: Date.now() - 85 * DAY_MS }, { worker: false });
    const claim = { userId: record.userId, ref: record.ref, kind: "rotate" as const };
    await h.redis.set(sentMarkerKey(claim), "claimed-by-a-crashed-attempt", "PX", 300);
    h.startWorker();
    expect(await alice.reply()).toContain("🔁 Time to replace");
    expect(await finished(h.queue, reminderJobId("rotate", record.ref))).toBe("completed");
    expect(remindersTo(h, alice)).toHaveLength(1);
  });

  it("waits out Telegram's 429 for as long as retry_after says, then delivers", async () => {
    const { alice } = await connected({ createdAt: Date.now() - 85 * DAY_MS }, { worker: false });
    h.telegram.limitMessages(30, 1);
    h.startWorker();
    expect(await alice.reply()).toContain("🔁 Time to replace");
    expect(h.telegram.tooManyRequests).toBe(1);
    const [refused, delivered] = h.telegram
      .callsOf("sendMessage")
      .filter((call) => String(call.payload.text).startsWith("🔁"));
    expect(delivered!.at - refused!.at).toBeGreaterThanOrEqual(950);
    expect(remindersTo(h, alice)).toHaveLength(1);
  });

  it("stops at 403 (the follower blocked the bot) and marks the follower unreachable", async () => {
    const { alice, record } = await connected({ createdAt: Date.now() - 85 * DAY_MS }, { worker: false });
    h.telegram.blockBot(alice.chat.id);
    h.startWorker();
    expect(await finished(h.queue, reminderJobId("rotate", record.ref))).toBe("failed");
    const job = (await h.queue.getJob(reminderJobId("rotate", record.ref)))!;
    expect(job.attemptsMade).toBe(1);
    expect((await h.credentials.current(alice.user.id))?.unreachableSince).toEqual(h.now);
    const attempts = h.telegram
      .callsOf("sendMessage")
      .filter((call) => call.payload.chat_id === alice.chat.id && String(call.payload.text).startsWith("🔁"));
    expect(attempts).toHaveLength(1);
  });

  it("retries a Telegram outage a bounded number of times, then fails the job with a log line", async () => {
    const { record } = await connected({ createdAt: Date.now() - 85 * DAY_MS }, { worker: false });
    h.telegram.breakMethod("sendMessage");
    h.startWorker();
    expect(await finished(h.queue, reminderJobId("rotate", record.ref))).toBe("failed");
    const job = (await h.queue.getJob(reminderJobId("rotate", record.ref)))!;
    expect(job.attemptsMade).toBe(4);
    expect(h.logs.some((line) => line.includes("reminder not delivered") && line.includes(record.ref))).toBe(true);
    expect(await h.redis.exists(sentMarkerKey({ userId: record.userId, ref: record.ref, kind: "rotate" }))).toBe(0);
  });

  it("still delivers the expiry reminder when its first attempt marked the key expired but could not send", async () => {
    const { alice, record } = await connected({ createdAt: Date.now() - 10 * DAY_MS });
    h.telegram.breakMethod("sendMessage", 1);
    await (await h.queue.getJob(reminderJobId("expiry", record.ref)))!.promote();
    expect(await alice.reply()).toContain("⛔ Your key “old-key”");
    expect(remindersTo(h, alice)).toHaveLength(1);
    expect((await h.credentials.current(alice.user.id))?.status).toBe("expired");
  });

  it("warns a week and a day before expiry, each with Replace now, and never a warning whose time has passed", async () => {
    const createdAt = Date.now() - 10 * DAY_MS;
    const { alice, record } = await connected({ createdAt });
    expect(await dueAt(h.queue, "expiry-7d", record.ref)).toBe(createdAt + 83 * DAY_MS);
    expect(await dueAt(h.queue, "expiry-1d", record.ref)).toBe(createdAt + 89 * DAY_MS);
    h.now = createdAt + 83 * DAY_MS;
    await (await h.queue.getJob(reminderJobId("expiry-7d", record.ref)))!.promote();
    expect(await alice.reply()).toMatch(
      /^⏳ Your key “old-key” \(.*\) expires in 7 days, on \d+ \w+ \d{4}\. Replace it now/,
    );
    expect(h.telegram.lastBotMessage(alice.chat.id).reply_markup).toEqual({
      inline_keyboard: [[{ text: "Replace now", callback_data: `rotate:start:${record.ref}` }]],
    });
    h.now = createdAt + 89 * DAY_MS;
    await (await h.queue.getJob(reminderJobId("expiry-1d", record.ref)))!.promote();
    expect(await alice.reply()).toMatch(/^⏳ Your key “old-key” \(.*\) expires tomorrow, \d+ \w+ \d{4}\./);
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");
    await h.stop();

    // Connected 85 days in: the week's warning is past and never comes; the day's does.
    const late = await connected({ createdAt: Date.now() - 85 * DAY_MS });
    expect(await dueAt(h.queue, "expiry-7d", late.record.ref)).toBeUndefined();
    expect(await dueAt(h.queue, "expiry-1d", late.record.ref)).toBe(late.record.createdAt + 89 * DAY_MS);
  });

  it("marks the key expired at expiry, and tells the follower to connect a new one", async () => {
    const { alice, record } = await connected({ createdAt: Date.now() - 10 * DAY_MS });
    await (await h.queue.getJob(reminderJobId("expiry", record.ref)))!.promote();
    expect(await alice.reply()).toContain("⛔ Your key “old-key”");
    expect((await h.credentials.current(alice.user.id))?.status).toBe("expired");
    alice.say("/status");
    const status = await alice.reply();
    expect(status).toContain("expired ⛔");
    expect(status).toContain("Send /rotate to connect a new key.");
  });
});
