// Telegram-side load: the real bot (src/main.ts, in a child process) against a fake Bot API that
// answers 429 above 30 messages a second, as Telegram does. Two scenarios, each on a fresh stage:
//   burst: 100 followers send /connect at once, tap "I have a key and secret" and paste a key:
//          how many got their instructions and their confirmation, how long it took, 429s sent.
//   flood: one follower sends 300 messages while 10 others send /status: how many of the 10
//          were answered, the p50/p99 latency of their answers, what the flooder got, 429s sent.
// Usage: npm run bench:telegram [-- --followers 100 --flood 300 --others 10]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeTelegram, FakeUser } from "../test/support/fake-telegram.js";
import { percentile, round1, startStage } from "./support.js";

const { values } = parseArgs({
  options: {
    followers: { type: "string", default: "100" },
    flood: { type: "string", default: "300" },
    others: { type: "string", default: "10" },
  },
});
const PATIENT_MS = 60_000;

const user = (id: number): FakeUser => ({ id, is_bot: false, first_name: `F${id}` });

/** The next message from the bot to this user's chat, and when it reached Telegram. */
async function answer(telegram: FakeTelegram, follower: FakeUser): Promise<{ text: string; at: number } | null> {
  try {
    const call = await telegram.nextBotMessage(follower.id, PATIENT_MS);
    return { text: String(call.payload.text), at: call.at };
  } catch {
    return null;
  }
}

async function burst(count: number) {
  const stage = await startStage();
  try {
    await stage.startBot();
    const { telegram, bybit } = stage;
    telegram.limitMessages(30);
    const followers = Array.from({ length: count }, (_, index) => user(600_000 + index));
    const keys = followers.map(() => canaryCredentials());
    keys.forEach((creds) => bybit.addKey(creds));

    const started = performance.now();
    for (const follower of followers) telegram.sendText(follower, "/connect");
    const intros = await Promise.all(followers.map((follower) => answer(telegram, follower)));
    const instructed = intros.filter((intro) => intro?.text.includes("Let’s connect")).length;
    const introLatencies = intros
      .filter((intro) => intro !== null)
      .map((intro) => intro.at - started)
      .sort((a, b) => a - b);
    for (const follower of followers)
      telegram.pressButton(follower, telegram.lastBotMessage(follower.id), "connect:have-secret");
    await Promise.all(followers.map((follower) => answer(telegram, follower)));
    followers.forEach((follower, index) =>
      telegram.sendText(follower, `${keys[index]!.apiKey} ${keys[index]!.apiSecret}`),
    );
    const verdicts = await Promise.all(
      followers.map(async (follower) => [await answer(telegram, follower), await answer(telegram, follower)]),
    );
    const confirmed = verdicts.filter(([, verdict]) => verdict?.text.includes("✅ Connected")).length;
    const stored = (await stage.redis.keys("follower:{*}:credential")).length;
    return {
      followers: count,
      instructed,
      stored,
      confirmed,
      instructionsP99Ms: round1(percentile(introLatencies, 99)),
      wholeBurstSeconds: round1((performance.now() - started) / 1000),
      tooManyRequests: telegram.tooManyRequests,
    };
  } finally {
    await stage.stop();
  }
}

async function flood(messages: number, othersCount: number) {
  const stage = await startStage();
  try {
    await stage.startBot();
    const { telegram } = stage;
    telegram.limitMessages(30);
    const flooder = user(700_000);
    const others = Array.from({ length: othersCount }, (_, index) => user(700_001 + index));
    const started = performance.now();
    for (let i = 0; i < messages; i += 1) telegram.sendText(flooder, `message ${i}`);
    for (const follower of others) telegram.sendText(follower, "/status");
    const answers = await Promise.all(others.map((follower) => answer(telegram, follower)));
    const latencies = answers
      .filter((reply) => reply !== null)
      .map((reply) => reply.at - started)
      .sort((a, b) => a - b);
    // Whatever the flooder is owed arrives within the window's worth of one-a-second replies.
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    return {
      flooderMessages: messages,
      othersAnswered: `${latencies.length}/${othersCount}`,
      othersP50Ms: round1(percentile(latencies, 50)),
      othersP99Ms: round1(percentile(latencies, 99)),
      flooderAnswers: telegram.botTexts(flooder.id).length,
      tooManyRequests: telegram.tooManyRequests,
    };
  } finally {
    await stage.stop();
  }
}

console.log("burst", JSON.stringify(await burst(Number(values.followers))));
console.log("flood", JSON.stringify(await flood(Number(values.flood), Number(values.others))));
