// A tap burst with Telegram's pacing lifted: the real bot (src/main.ts, TELEGRAM_MESSAGES_PER_SECOND=1000) with a
// full key-pair pool; N followers send /connect, then all tap "Make the key for me" at once while 20 others ask
// /status again and again, as fast as Telegram lets one chat (a message a second). See connect-burst.ts.
import { performance } from "node:perf_hooks";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { processCpuMs } from "./proc-cpu.js";
import { median, percentile, round1, startReadyBot, startStage, type Stage, type Startup } from "./support.js";

const OTHERS = 20;
/** Telegram lets a chat have about one message a second, and the bot paces each chat so: a faster loop measures that. */
const STATUS_EVERY_MS = 1200;
const IDLE_MS = 5000;

export interface TapFigures {
  tapToKey: number[];
  publicKeysShown: number;
  othersIdle: number[];
  othersDuringBurst: number[];
  /** The bot's CPU (all threads and descendants) from the taps until the last public key was shown, per tap. */
  cpuMsPerTap: number;
  startup: Startup;
}

/** Each of `others` sends /status, waits for the reply, rests `everyMs`, and again, until `done()`. */
export async function askStatus(
  stage: Stage,
  others: FakeUser[],
  done: () => boolean,
  everyMs = STATUS_EVERY_MS,
): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    others.map(async (user) => {
      while (!done()) {
        const sentAt = performance.now();
        stage.telegram.sendText(user, "/status");
        const reply = await stage.telegram.nextBotMessage(user.id, 60_000);
        latencies.push(reply.at - sentAt);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    }),
  );
  return latencies;
}

export async function measureTaps(followerCount: number, poolSize: number): Promise<TapFigures> {
  const stage = await startStage();
  try {
    const { bot, startup } = await startReadyBot(stage, "src/main.ts", poolSize, {
      TELEGRAM_MESSAGES_PER_SECOND: "1000",
    });
    const followers: FakeUser[] = Array.from({ length: followerCount }, (_, index) => ({
      id: 600_000 + index,
      is_bot: false,
      first_name: `F${index}`,
    }));
    const others: FakeUser[] = Array.from({ length: OTHERS }, (_, index) => ({
      id: 700_000 + index,
      is_bot: false,
      first_name: `O${index}`,
    }));
    for (const user of followers) stage.telegram.sendText(user, "/connect");
    await Promise.all(followers.map((user) => stage.telegram.nextBotMessage(user.id, 60_000)));
    await new Promise((resolve) => setTimeout(resolve, 1000));

    let idleOver = false;
    setTimeout(() => (idleOver = true), IDLE_MS);
    const othersIdle = await askStatus(stage, others, () => idleOver);

    let burstOver = false;
    const during = askStatus(stage, others, () => burstOver);
    const cpuBefore = processCpuMs(bot.pid!);
    const tapToKey = await Promise.all(
      followers.map(async (user) => {
        const tappedAt = performance.now();
        stage.telegram.pressButton(user, stage.telegram.lastBotMessage(user.id), "connect:make-pair");
        for (let replies = 0; replies < 3; replies += 1) {
          const reply = await stage.telegram.nextBotMessage(user.id, 120_000);
          if (String(reply.payload.text).includes("BEGIN PUBLIC KEY")) return reply.at - tappedAt;
        }
        return undefined;
      }),
    );
    burstOver = true;
    const cpuMsPerTap = (processCpuMs(bot.pid!) - cpuBefore) / followerCount;
    const shown = tapToKey.filter((ms): ms is number => ms !== undefined);
    return {
      tapToKey: shown,
      publicKeysShown: shown.length,
      othersIdle,
      othersDuringBurst: await during,
      cpuMsPerTap,
      startup,
    };
  } finally {
    await stage.stop();
  }
}

const stats = (list: number[]) => {
  if (list.length === 0) return "n=0";
  const sorted = [...list].sort((a, b) => a - b);
  const [mid, p99, max] = [median(sorted), percentile(sorted, 99), sorted.at(-1)!].map(round1);
  return `median ${mid} ms, p99 ${p99} ms, max ${max} ms (n=${sorted.length})`;
};

export function printTaps(figures: TapFigures, followers: number, poolSize: number): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`Tap burst: ${followers} followers tap "Make the key for me" at once, pool of ${poolSize} full:`);
  if (poolSize < followers)
    out(`  (the pool is smaller than the burst: ${followers - poolSize} pairs are made on demand)`);
  out(`  tap → public key on screen:  ${stats(figures.tapToKey)}; ${figures.publicKeysShown}/${followers} shown`);
  out(`  bot CPU per tap (all threads, the pool's refill meanwhile included): ${round1(figures.cpuMsPerTap)} ms`);
  out(`  ${OTHERS} others' /status, idle bot:    ${stats(figures.othersIdle)}`);
  const p99 = figures.othersDuringBurst.length
    ? percentile(
        [...figures.othersDuringBurst].sort((a, b) => a - b),
        99,
      )
    : 0;
  out(
    `  ${OTHERS} others' /status, during taps: ${stats(figures.othersDuringBurst)} ` +
      `(goal: p99 ≤ 300 ms: ${p99 <= 300 ? "met" : "not met"})`,
  );
}
