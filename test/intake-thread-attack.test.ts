import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { startHarness } from "./support/harness.js";
import { cleanupAfterEach, intakeRig as rig, settledThreads, type PollSignal as Signal } from "./support/intake-rig.js";

// Attacks on long polling's thread (issue 27): where the service was started from, how its
// failures read in the log, what is left running once polling stops, a key edited over and over,
// and an update not shaped as Telegram's.
const TOKEN = "757575:AAintake-attack-token-0123456789abcdef";
const cleanup = cleanupAfterEach();
const user = { id: 767_676, is_bot: false as const, first_name: "Di" };
const intakeRig = (apiRootForThread?: string) => rig(TOKEN, cleanup, { apiRootForThread });

it("polls when the service was started from another directory: tsx is found beside the code", async () => {
  const { telegram, api, signal } = await intakeRig();
  const home = process.cwd();
  // `tsx /srv/bot/src/main.ts` from a home directory, a unit file without WorkingDirectory.
  process.chdir(tmpdir());
  cleanup.push(() => process.chdir(home));
  telegram.sendText(user, "hello");
  expect(await api.getUpdates({ timeout: 0 }, signal)).toHaveLength(1);
});

it("says in the log that the thread could not start, and why, not only that a call failed", async () => {
  // A thread that dies as it starts (here: its address of Telegram does not parse).
  const { api, lines, intake, metrics } = await intakeRig("not a url");
  expect(intake.healthy()).toBe(true);
  await expect(api.getUpdates({ timeout: 0 })).rejects.toThrow();
  const line = lines.find((entry) => String(entry.msg).includes("could not start"));
  expect(line).toMatchObject({ level: 50, err: { code: "ERR_INVALID_URL" } });
  // Not ready (/readyz's polling check asks this), and not a Bot API call that failed: Telegram was never asked.
  expect(intake.healthy()).toBe(false);
  expect(lines.some((entry) => entry.msg === "Bot API call failed")).toBe(false);
  expect((await metrics.telegramFailures.get()).values).toEqual([]);
  expect(JSON.stringify(lines)).not.toContain(TOKEN.split(":")[1]);
});

it("ends the thread when polling stops between two polls, and starts none for a poll already stopped", async () => {
  const { telegram, api } = await intakeRig();
  // Once through, so that what a first thread starts for good (libuv's pool) is counted before: a
  // long poll that polling's stop cuts short, which ends its thread.
  const first = new AbortController();
  const poll = api.getUpdates({ timeout: 30 }, first.signal as Signal).catch((error: unknown) => error);
  await telegram.waitForCall((call) => call.method === "getUpdates", 10_000, "the long poll");
  first.abort();
  expect(await poll).toBeInstanceOf(Error);
  const before = await settledThreads();

  // The runner stops while a batch is handled (or while it waits to try again): no call is under way.
  const handling = new AbortController();
  telegram.sendText(user, "hello");
  expect(await api.getUpdates({ timeout: 0 }, handling.signal as Signal)).toHaveLength(1);
  handling.abort();
  // After its retry wait, the runner calls once more with the signal it was stopped with.
  await expect(api.getUpdates({ timeout: 0 }, handling.signal as Signal)).rejects.toThrow();
  expect(await settledThreads()).toBe(before);
});

it("asks once, not at every edit, to delete a key that Telegram will not let it delete", async () => {
  const { telegram, api, signal } = await intakeRig();
  // A group where the bot may not delete: a member pastes a key, then edits it again and again.
  const group = { id: -1_007_676, type: "supergroup" as const, title: "G" };
  telegram.refuseDeletesIn(group.id);
  const { apiKey, apiSecret } = canaryCredentials();
  const pasted = telegram.sendText(user, `${apiKey} ${apiSecret}`, group);
  let offset = 0;
  const poll = async () => {
    const updates = await api.getUpdates({ timeout: 0, offset }, signal);
    offset = updates.at(-1)!.update_id + 1;
  };
  await poll();
  for (let edit = 1; edit <= 5; edit += 1) {
    telegram.editText(pasted, `${apiKey} ${apiSecret} ${edit}`);
    await poll();
  }
  await sleep(500);
  // The shredder remembers the refusal for minutes (and its guard asks it again); each edit cost a request.
  expect(telegram.callsOf("deleteMessage")).toHaveLength(1);
});

it("a malformed update does not take long polling down: the next followers are answered", async () => {
  const h = await startHarness({ worker: false });
  cleanup.push(() => h.stop());
  const alice = h.follower();
  await h.telegram.waitForCall((call) => call.method === "getUpdates", 5000, "polling");
  // A message without its chat: reading where it lives throws.
  h.telegram.sendRaw({ edited_message: { message_id: 1, date: 0, text: "hello" } });
  const { apiKey, apiSecret } = canaryCredentials();
  const pasted = alice.say(`${apiKey} ${apiSecret}`);
  expect(await alice.reply(10_000)).toContain("I deleted your message");
  expect(h.telegram.messageExists(pasted.chat.id, pasted.message_id)).toBe(false);
});
