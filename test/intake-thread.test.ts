import { GrammyError } from "grammy";
import { expect, it } from "vitest";
import type { Metrics } from "../src/metrics/metrics.js";
import { canaryCredentials } from "./support/canaries.js";
import { startHarness } from "./support/harness.js";
import { cleanupAfterEach, intakeRig as rig, type PollSignal } from "./support/intake-rig.js";

// Issue 27: long polling runs on a thread of its own, which asks for the deletions before the batch is handed over.
const TOKEN = "727272:AAintake-thread-token-0123456789abcd";
const cleanup = cleanupAfterEach();
const intakeRig = () => rig(TOKEN, cleanup, { owing: true });

const failures = async (metrics: Metrics, code: string) =>
  (await metrics.telegramFailures.get()).values.find(
    (value) => value.labels.method === "getUpdates" && value.labels.code === code,
  )?.value ?? 0;

it("deletes 60 keys pasted at once and tells each follower so, none left at “still deleting”", async () => {
  // Patience short: a deletion whose outcome the thread's answer never brought would say "still deleting" in 1.5 s.
  const h = await startHarness({ worker: false, shredderTiming: { patienceMs: 1500 } });
  cleanup.push(() => h.stop());
  const followers = Array.from({ length: 60 }, () => h.follower());
  await h.telegram.waitForCall((call) => call.method === "getUpdates", 5000, "polling");
  const pasted = followers.map((follower) => {
    const { apiKey, apiSecret } = canaryCredentials();
    return follower.say(`${apiKey} ${apiSecret}`);
  });
  const replies = await Promise.all(followers.map((follower) => follower.reply(15_000)));
  for (const reply of replies) expect(reply).toContain("I deleted your message. It looked like an API key or secret");
  for (const message of pasted) expect(h.telegram.messageExists(message.chat.id, message.message_id)).toBe(false);
  expect(followers.flatMap((follower) => follower.transcript())).toHaveLength(60);
});

it("hands over what Telegram refused as the Bot API error it is (a 409 stops the runner), and counts it", async () => {
  const { telegram, api, metrics, signal } = await intakeRig();
  telegram.failNext("getUpdates", 409);
  const refusal = await api.getUpdates({ timeout: 0 }, signal).catch((error: unknown) => error);
  expect(refusal).toBeInstanceOf(GrammyError);
  expect((refusal as GrammyError).error_code).toBe(409);
  expect(await failures(metrics, "409")).toBe(1);
});

it("fails a poll whose connection was cut, and the next poll gets the batch and deletes its key", async () => {
  const { telegram, api, metrics, redis, key, signal } = await intakeRig();
  telegram.failNext("getUpdates", "drop");
  await expect(api.getUpdates({ timeout: 0 }, signal)).rejects.toThrow();
  expect(await failures(metrics, "0")).toBe(1);
  const user = { id: 737_373, is_bot: false as const, first_name: "Bo" };
  const { apiKey, apiSecret } = canaryCredentials();
  const pasted = telegram.sendText(user, `${apiKey} ${apiSecret}`);
  const updates = await api.getUpdates({ timeout: 0 }, signal);
  expect(updates.map((update) => update.message?.message_id)).toEqual([pasted.message_id]);
  // Asked for before the batch was handed over, and recorded before it was.
  expect(telegram.callsOf("deleteMessage")).toHaveLength(1);
  expect(await redis.zcard(key)).toBe(1);
});

it("ends a long poll at once when polling stops, and polls again on a new thread", async () => {
  const { telegram, api, signal } = await intakeRig();
  const stop = new AbortController();
  const started = performance.now();
  const poll = api.getUpdates({ timeout: 30 }, stop.signal as PollSignal).catch((error: unknown) => error);
  await telegram.waitForCall((call) => call.method === "getUpdates", 5000, "the long poll");
  stop.abort();
  expect(await poll).toBeInstanceOf(Error);
  expect(performance.now() - started).toBeLessThan(3000);
  const user = { id: 747_474, is_bot: false as const, first_name: "Cy" };
  telegram.sendText(user, "hello");
  expect(await api.getUpdates({ timeout: 1 }, signal)).toHaveLength(1);
});
