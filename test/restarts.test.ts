import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeBybit } from "./support/fake-bybit.js";
import type { FakeTelegram, FakeUser } from "./support/fake-telegram.js";
import { useServiceStage } from "./support/service.js";
import {
  connectThroughFakes,
  sentToSince,
  killWhenTaken,
  newFollower,
  nextText,
  sleep,
  startPollingBot,
  textOf,
  waitUntil,
} from "./support/bot-processes.js";

// Issue 21, defects 4 and 5: the real src/main.ts killed (or stopped past its bound) while an
// update is in hand. Long polling confirms updates as it fetches them, so these are never
// delivered again: the follower must hear from the next process.
const TOKEN = "515151:AArestarts-test-token-0123456789ab";
// A beat of 1 s: owed /panic steps count as cut short after 3 s of silence (15 s by default).
const stage = useServiceStage(TOKEN, { RECOVERY_BEAT_MS: "1000" });
let telegram: FakeTelegram;
let bybit: FakeBybit;
let redis: Redis;
beforeAll(() => {
  ({ telegram, bybit } = stage);
  redis = new Redis(stage.redisUrl);
});
afterAll(() => redis.disconnect());

const startBot = (extra: Record<string, string> = {}) => startPollingBot(stage, extra);

describe("after a restart, nobody is left unanswered", () => {
  it("tells a follower whose pasted key the sweeper deleted after a kill -9, nobody having answered it", async () => {
    const bot = await startBot();
    const follower = newFollower();
    const next = async (timeoutMs = 10_000) => textOf(await telegram.nextBotMessage(follower.id, timeoutMs));
    telegram.sendText(follower, "/connect");
    await next();
    telegram.pressButton(follower, telegram.lastBotMessage(follower.id), "connect:have-secret");
    await next();
    // The answer ("now the secret") is on its way when the process dies: Telegram never shows it.
    telegram.delayMethod("sendMessage", 5000);
    const pasted = telegram.sendText(follower, canaryCredentials().apiKey);
    const answering = telegram.callsOf("sendMessage").length;
    const answerSent = sentToSince(telegram, follower.id, answering);
    await waitUntil(answerSent, 10_000, "the answer to leave");
    await bot.crash();
    telegram.delayMethod("sendMessage", 0);
    expect(telegram.messageExists(follower.id, pasted.message_id)).toBe(false);

    const restarted = await startBot();
    expect(await next(20_000)).toContain("I was restarted just as your message with a key arrived");
    await sleep(500);
    expect(telegram.botTexts(follower.id)).toHaveLength(3);
    await restarted.crash();
  }, 45_000);

  it("sends the /panic steps again when a kill -9 came right after Telegram took “Frozen”", async () => {
    const bot = await startBot();
    const follower = newFollower();
    const next = nextText(telegram, follower);
    await connectThroughFakes(telegram, bybit, follower);
    // Held, should the process reach the steps before the signal lands: it dies with them unsent.
    killWhenTaken(telegram, bot, follower, "Frozen", 5000);
    telegram.sendText(follower, "/panic");
    expect(await next()).toContain("🧊 Frozen");
    await bot.exited;
    telegram.delayMethod("sendMessage", 0);
    await sleep(300);
    expect(telegram.botTexts(follower.id).some((text) => text.includes("panic:deleted"))).toBe(false);

    const restarted = await startBot();
    // Owed steps silent for three beats were cut short; the resender looks every beat.
    const steps = await telegram.nextBotMessage(follower.id, 25_000);
    expect(textOf(steps)).toContain("I was restarted just after freezing your key, before the steps went out");
    expect(JSON.stringify(steps.payload.reply_markup)).toContain("panic:deleted:");
    await restarted.crash();
  }, 60_000);

  it("tells the followers whose updates were in hand at the shutdown deadline, once the bot is back", async () => {
    const bot = await startBot({ SHUTDOWN_SECONDS: "2" });
    const followers = [newFollower(), newFollower(), newFollower()];
    // Telegram holds the answers: the /status updates are still being handled when the bound runs out.
    telegram.delayMethod("sendMessage", 10_000);
    for (const follower of followers) telegram.sendText(follower, "/status");
    const sentTo = (follower: FakeUser) =>
      telegram.callsOf("sendMessage").some((call) => call.payload.chat_id === follower.id);
    await waitUntil(() => followers.every(sentTo), 10_000, "the answers to leave");
    bot.child.kill("SIGTERM");
    expect((await bot.exited).code).toBe(1);
    telegram.delayMethod("sendMessage", 0);
    for (const follower of followers) expect(telegram.botTexts(follower.id)).toHaveLength(0);

    const restarted = await startBot();
    for (const follower of followers) {
      const told = textOf(await telegram.nextBotMessage(follower.id, 10_000));
      expect(told).toContain("I was restarted while handling your last message");
    }
    await restarted.crash();
  }, 45_000);
});
