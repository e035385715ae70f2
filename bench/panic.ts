// /panic: how soon the revoke steps are on screen, however slowly Bybit answers. Runs the real
// src/main.ts against its own redis-server and the fakes; N followers (100) connect a key, then
// send /panic in waves of 10, with the fake Bybit answering every request after 4 s, and then not
// answering at all. Prints, per case, the time from Telegram handing /panic to the bot until the
// message with the steps and buttons reached Telegram (bot-side), median and p99.
// Usage: npx tsx bench/panic.ts [--followers 100] [--wave 10]
import { parseArgs } from "node:util";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { median, percentile, round1, startStage, type Stage } from "./support.js";

const { values } = parseArgs({
  options: { followers: { type: "string", default: "100" }, wave: { type: "string", default: "10" } },
});
const FOLLOWERS = Number(values.followers);
const WAVE = Number(values.wave);

type Case = "bybit answers after 4 s" | "bybit does not answer";

async function connectAll(stage: Stage, base: number): Promise<FakeUser[]> {
  const followers: FakeUser[] = Array.from({ length: FOLLOWERS }, (_, index) => ({
    id: base + index,
    is_bot: false,
    first_name: `P${index}`,
  }));
  await Promise.all(
    followers.map(async (user) => {
      const credentials = canaryCredentials();
      stage.bybit.addKey(credentials);
      stage.telegram.sendText(user, "/connect");
      await stage.telegram.nextBotMessage(user.id, 30_000);
      stage.telegram.sendText(user, `${credentials.apiKey} ${credentials.apiSecret}`);
      await stage.telegram.nextBotMessage(user.id, 30_000);
      const verdict = String((await stage.telegram.nextBotMessage(user.id, 30_000)).payload.text);
      if (!verdict.includes("✅ Connected")) throw new Error(`not connected: ${verdict.slice(0, 80)}`);
    }),
  );
  return followers;
}

async function measure(kind: Case): Promise<number[]> {
  const stage = await startStage();
  try {
    await stage.startBot("src/main.ts", { KEY_PAIR_POOL_SIZE: "0", BYBIT_TIMEOUT_MS: "10000" });
    const followers = await connectAll(stage, kind === "bybit does not answer" ? 800_000 : 900_000);
    if (kind === "bybit does not answer") stage.bybit.mode = "hang";
    else stage.bybit.beforeAnswer = () => new Promise((resolve) => setTimeout(resolve, 4000));

    const latencies: number[] = [];
    for (let start = 0; start < followers.length; start += WAVE) {
      await Promise.all(
        followers.slice(start, start + WAVE).map(async (user) => {
          const command = stage.telegram.sendText(user, "/panic");
          for (;;) {
            const reply = await stage.telegram.nextBotMessage(user.id, 30_000);
            if (!String(reply.payload.text).includes("Now revoke the key in Bybit")) continue;
            latencies.push(reply.at - stage.telegram.takenAtOf(command)!);
            return;
          }
        }),
      );
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    await stage.stop();
  }
}

for (const kind of ["bybit answers after 4 s", "bybit does not answer"] as const) {
  const latencies = await measure(kind);
  process.stdout.write(
    `/panic → revoke steps on screen, ${kind}: median ${round1(median(latencies))} ms, p99 ${round1(percentile(latencies, 99))} ms, max ${round1(latencies.at(-1)!)} ms (n=${latencies.length}, waves of ${WAVE})\n`,
  );
}
process.exit(0);
