import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { expect, inject, it } from "vitest";
import { createFastDelete, telegramAgent } from "../src/bot/intake/fast-delete.js";
import { createPendingDeletions } from "../src/bot/intake/pending-deletions.js";
import { createShredder } from "../src/bot/intake/shredder.js";
import { createLogger } from "../src/infra/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { canaryCredentials } from "./support/canaries.js";
import { FakeTelegram } from "./support/fake-telegram.js";
import { startHarness } from "./support/harness.js";
import { cleanupAfterEach } from "./support/intake-rig.js";

// Issue 27: the deletion request of a credential message goes out before anything else is done for
// it, Redis writes included; the pending record follows it, and a crash before the record is in
// Redis still loses nothing (the batch is not confirmed to Telegram until the records are written).
const TOKEN = "616161:AAdeletion-first-token-0123456789ab";
const cleanup = cleanupAfterEach();

it("asks Telegram to delete before the pending record is written, and writes it right after", async () => {
  const telegram = new FakeTelegram(TOKEN);
  const apiRoot = await telegram.start();
  cleanup.push(() => telegram.stop());
  // One connection for the record and the probe: Redis answers them in the order they were sent.
  const redis = new Redis(inject("redisUrl"));
  cleanup.push(() => redis.quit());
  const key = `{deletion-first-${process.pid}}:pending`;
  cleanup.push(() => redis.del(key, `${key}:answered`));
  const fastDelete = createFastDelete(apiRoot, TOKEN, telegramAgent(apiRoot));
  const recordsWhenAsked: number[] = [];
  const shredder = createShredder({
    deleteOnce: async (message, onSent) => {
      // Sent before the request: what Redis held of this deletion the moment the request was made.
      const held = redis.zcard(key);
      const outcome = await fastDelete(message, onSent);
      recordsWhenAsked.push(await held);
      return outcome;
    },
    pending: createPendingDeletions(redis, key),
    tellNotDeleted: async () => undefined,
    // Owing an answer keeps the record until the update is answered, so that it can be looked at.
    tellUnanswered: async () => undefined,
    logger: createLogger({ level: "silent", neverLog: [] }),
    metrics: createMetrics(),
  });
  cleanup.push(() => shredder.stop());
  const user = { id: 424_242, is_bot: false as const, first_name: "Ada" };
  const { apiKey, apiSecret } = canaryCredentials();
  const pasted = telegram.sendText(user, `${apiKey} ${apiSecret}`);
  const address = { chatId: pasted.chat.id, messageId: pasted.message_id };

  const shredding = shredder.shred(address);
  // Recorded, and the request had gone before: at the moment it was made, Redis held nothing.
  for (let tries = 0; (await redis.zcard(key)) === 0 && tries < 100; tries += 1) await sleep(10);
  expect(await redis.zcard(key)).toBe(1);
  expect(await shredding).toBe("deleted");
  expect(recordsWhenAsked).toEqual([0]);
  expect(telegram.messageExists(pasted.chat.id, pasted.message_id)).toBe(false);
});

it("confirms a batch to Telegram only once its deletions are recorded: a crash before that loses none", async () => {
  const h = await startHarness({ worker: false });
  cleanup.push(() => h.stop());
  const alice = h.follower();
  await h.telegram.waitForCall((call) => call.method === "getUpdates", 5000, "polling");
  // Writes wait: the pending record cannot be written, so the batch must not be confirmed.
  const admin = new Redis(inject("redisUrl"));
  cleanup.push(() => admin.quit());
  await admin.call("CLIENT", "PAUSE", "1500", "WRITE");
  const { apiKey, apiSecret } = canaryCredentials();
  const pasted = alice.say(`${apiKey} ${apiSecret}`);
  const update = pasted.message_id;

  await h.telegram.waitForCall((call) => call.method === "deleteMessage", 1000, "the deletion request");
  const confirmsPast = () =>
    h.telegram.callsOf("getUpdates").filter((call) => Number(call.payload.offset ?? 0) > h.telegram.updateIdOf(pasted)!)
      .length;
  await sleep(700);
  // Deleted at once, but the update is still Telegram's to deliver again: nothing asked past it.
  expect(h.telegram.messageExists(alice.chat.id, update)).toBe(false);
  expect(confirmsPast()).toBe(0);
  // Redis takes writes again: the record is written, then the batch confirmed and the paste answered.
  expect(await alice.reply()).toContain("I deleted your message");
  expect(confirmsPast()).toBeGreaterThan(0);
});
