// Reminders lost and doubled when Redis is lost, or the worker killed, in the middle of a wave: the
// real src/main.ts (ROLE=worker) in a child process, against a redis-server of its own with its
// append-only file on, and the fake Telegram counting what it accepted per follower.
//   --fault stop: the moment Telegram has answered a reminder (before the worker can record it),
//     Redis is frozen (SIGSTOP), killed (SIGKILL) and started again on the same port from its
//     append-only file `--outage` seconds later.
//   --fault pause: Redis frozen (SIGSTOP) for `--outage` seconds, then let go (SIGCONT): connections stay open.
//   --fault kill: the worker is killed (SIGKILL) at that moment and started again at once.
// Telegram answers each message after `--latency` ms (100 by default), so that several are in flight at once.
// Runs from the current directory's src/main.ts: to measure other code, run it from that code's worktree.
// Usage: npm run bench:reminders-outage
//   [-- --fault stop --reminders 200 --runs 2 --outage 45 --lock 3 --lease 60 --latency 100]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { startLocalRedis, type LocalRedis } from "../src/infra/local-redis.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import { dueReminders, rotationRemindersIn } from "../test/support/due-reminders.js";
import { FakeBybit } from "../test/support/fake-bybit.js";
import { FakeTelegram } from "../test/support/fake-telegram.js";
import { TOKEN } from "./support.js";

const { values } = parseArgs({
  options: {
    fault: { type: "string", default: "stop" },
    reminders: { type: "string", default: "200" },
    runs: { type: "string", default: "2" },
    outage: { type: "string", default: "45" },
    lock: { type: "string", default: "3" },
    lease: { type: "string", default: "60" },
    latency: { type: "string", default: "100" },
  },
});
const fault = values.fault;
if (fault !== "stop" && fault !== "pause" && fault !== "kill") throw new Error("--fault must be stop, pause or kill");
const count = Number(values.reminders);
const outageMs = Number(values.outage) * 1000;
const lockSeconds = Number(values.lock);
const leaseSeconds = Number(values.lease);

/** The real src/main.ts, as an operator runs it (test/support/service.ts is for vitest only). */
function startService(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<void>;
  crash(): Promise<void>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...process.env, NODE_ENV: "production", PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, exited, crash: async () => void (child.kill("SIGKILL"), await exited) };
}
type Service = ReturnType<typeof startService>;

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function run() {
  const dataDir = mkdtempSync(join(tmpdir(), "reminders-outage-"));
  let server: LocalRedis = await startLocalRedis({ dataDir });
  const port = Number(new URL(server.url).port);
  const telegram = new FakeTelegram(TOKEN);
  telegram.delayMethod("sendMessage", Number(values.latency));
  const bybit = new FakeBybit();
  const [apiRoot, bybitUrl] = await Promise.all([telegram.start(), bybit.start()]);
  const redis = new Redis(server.url);
  redis.on("error", () => undefined);
  const sealKeys = generateKeyringEntry();
  const env = {
    BOT_TOKEN: TOKEN,
    REDIS_URL: server.url,
    SEAL_KEYS: sealKeys,
    TELEGRAM_API_ROOT: apiRoot,
    BYBIT_BASE_URL: bybitUrl,
    ROLE: "worker",
    LOG_LEVEL: "warn",
    REMINDER_LOCK_SECONDS: String(lockSeconds),
    REMINDER_LEASE_SECONDS: String(leaseSeconds),
  };
  let worker: Service | undefined;
  try {
    const records = await dueReminders(redis, sealKeys, count);
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info("server"))![1]);
    const copies = () => records.map((record) => rotationRemindersIn(telegram.botTexts(record.userId)));
    const delivered = () => copies().filter((n) => n > 0).length;
    let faultDone: Promise<void> | undefined;
    let faultAt = 0;
    // The worst moment, a quarter into the wave: Telegram has taken a reminder, the worker has not recorded it yet.
    telegram.onAnswered = (call) => {
      if (call.method !== "sendMessage" || !String(call.payload.text).startsWith("🔁") || delivered() < count / 4)
        return;
      telegram.onAnswered = undefined;
      faultAt = delivered();
      if (fault === "kill") {
        const dying = worker!;
        dying.child.kill("SIGKILL");
        faultDone = dying.exited.then(() => void (worker = startService(env)));
        return;
      }
      process.kill(redisPid, "SIGSTOP");
      faultDone = (async () => {
        if (fault === "stop") {
          process.kill(redisPid, "SIGKILL");
          await server.stop();
          await sleep(outageMs);
          server = await startLocalRedis({ dataDir, port });
        } else {
          await sleep(outageMs);
          process.kill(redisPid, "SIGCONT");
        }
      })();
    };
    const started = Date.now();
    worker = startService(env);
    await waitUntil(() => faultDone !== undefined, 120_000);
    await faultDone;
    const all = await waitUntil(() => delivered() === count, (leaseSeconds + 120) * 1000);
    // Late copies: a job taken up again after its lock, or a claim that ran out.
    await sleep((3 * lockSeconds + 5) * 1000);
    const final = copies();
    const seconds = Math.round((Date.now() - started) / 1000);
    const lost = final.filter((n) => n === 0).length;
    return {
      reminders: count,
      deliveredAtFault: faultAt,
      allDelivered: all,
      seconds,
      lost,
      doubled: final.filter((n) => n > 1).length,
    };
  } finally {
    if (worker) await worker.crash();
    redis.disconnect();
    await Promise.all([telegram.stop(), bybit.stop()]);
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const outcomes: Awaited<ReturnType<typeof run>>[] = [];
for (let i = 0; i < Number(values.runs); i += 1) {
  const outcome = await run();
  outcomes.push(outcome);
  const setting = {
    fault,
    outageSeconds: fault === "kill" ? 0 : outageMs / 1000,
    lockSeconds,
    leaseSeconds,
    latencyMs: Number(values.latency),
  };
  console.log(`run ${i + 1}`, JSON.stringify({ ...setting, ...outcome }));
}
const total = (field: "lost" | "doubled") => outcomes.reduce((sum, outcome) => sum + outcome[field], 0);
const runs = outcomes.length;
console.log(
  "total",
  JSON.stringify({ fault, runs, reminders: count * runs, lost: total("lost"), doubled: total("doubled") }),
);
