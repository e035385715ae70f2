// Crash-safety figures, with the real src/main.ts in child processes against its own
// redis-server and the protocol fakes:
//   timed kills: 200 due reminders; the worker is killed (SIGKILL) the moment Telegram has
//     answered a reminder, before the worker can record it, 10 times: reminders lost and doubled.
//   SIGTERM during a wave: the all-in-one process is stopped while reminders go out: time to exit.
//   polling after an outage: Telegram unreachable for 60 s: how long until the bot polls again.
// Usage: npm run bench:crash [-- --reminders 200 --kills 10 --outage 60]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import { dueReminders, rotationRemindersIn } from "../test/support/due-reminders.js";
import { startService, type Service } from "../test/support/process.js";
import { round1, startStage, TOKEN, type Stage } from "./support.js";

const { values } = parseArgs({
  options: {
    reminders: { type: "string", default: "200" },
    kills: { type: "string", default: "10" },
    outage: { type: "string", default: "60" },
  },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

function service(stage: Stage, sealKeys: string, env: Record<string, string>): Service {
  return startService({
    BOT_TOKEN: TOKEN,
    REDIS_URL: stage.redisUrl,
    SEAL_KEYS: sealKeys,
    TELEGRAM_API_ROOT: stage.telegramUrl,
    BYBIT_BASE_URL: stage.bybitUrl,
    BYBIT_SITES: stage.bybitSites.env,
    REMINDER_LOCK_SECONDS: "2",
    LOG_LEVEL: "warn",
    ...env,
  });
}

async function timedKills(count: number, kills: number) {
  const stage = await startStage();
  const sealKeys = generateKeyringEntry();
  try {
    const records = await dueReminders(stage.redis, sealKeys, count);
    const copies = () => records.map((record) => rotationRemindersIn(stage.telegram.botTexts(record.userId)));
    let worker = service(stage, sealKeys, { ROLE: "worker" });
    for (let kill = 0; kill < kills; kill += 1) {
      const current = worker;
      // The worst moment: Telegram has taken the reminder, the worker has not recorded it yet.
      await new Promise<void>((resolve) => {
        stage.telegram.onAnswered = (call) => {
          if (call.method !== "sendMessage") return;
          stage.telegram.onAnswered = undefined;
          current.child.kill("SIGKILL");
          resolve();
        };
      });
      await current.exited;
      worker = service(stage, sealKeys, { ROLE: "worker" });
    }
    await waitUntil(() => copies().every((n) => n > 0), 120_000);
    await sleep(3000);
    await worker.crash();
    const final = copies();
    return {
      reminders: count,
      kills,
      lost: final.filter((n) => n === 0).length,
      doubled: final.filter((n) => n > 1).length,
    };
  } finally {
    await stage.stop();
  }
}

async function sigtermDuringWave() {
  const stage = await startStage();
  const sealKeys = generateKeyringEntry();
  try {
    const records = await dueReminders(stage.redis, sealKeys, 100);
    stage.telegram.delayMethod("sendMessage", 100);
    const all = service(stage, sealKeys, { ROLE: "all" });
    const delivered = () =>
      records.filter((record) => rotationRemindersIn(stage.telegram.botTexts(record.userId)) > 0).length;
    await waitUntil(() => delivered() >= 10, 60_000);
    const signalled = performance.now();
    all.child.kill("SIGTERM");
    const { code, at } = await all.exited;
    return { deliveredBeforeSigterm: delivered(), exitCode: code, sigtermToExitMs: round1(at - signalled) };
  } finally {
    await stage.stop();
  }
}

async function pollingAfterOutage(seconds: number) {
  const stage = await startStage();
  try {
    const bot = service(stage, generateKeyringEntry(), { ROLE: "bot" });
    await stage.telegram.waitForCall((call) => call.method === "getUpdates", 30_000, "polling");
    stage.telegram.setDown(true);
    await sleep(seconds * 1000);
    stage.telegram.setDown(false);
    const back = performance.now();
    const poll = await stage.telegram.waitForCall(
      (call) => call.method === "getUpdates" && call.at > back,
      60_000,
      "polling after the outage",
    );
    await bot.crash();
    return { outageSeconds: seconds, pollingBackAfterMs: round1(poll.at - back) };
  } finally {
    await stage.stop();
  }
}

console.log("timed kills", JSON.stringify(await timedKills(Number(values.reminders), Number(values.kills))));
console.log("sigterm", JSON.stringify(await sigtermDuringWave()));
console.log("polling", JSON.stringify(await pollingAfterOutage(Number(values.outage))));
