// Followers left unanswered by a kill -9 in the middle of a wave of pasted keys (issue 21, defect 4),
// with the real src/main.ts in child processes against its own redis-server and the protocol fakes:
// N followers open /connect, then all paste a key and secret at once; the bot is killed (SIGKILL)
// once half of the pasted messages are deleted, and started again. After the restart, a follower
// who has heard nothing since the paste (within --wait seconds) is unanswered.
// Runs the code of this checkout ("new") and of an older commit ("old", checked out with
// `git worktree add` in a temporary folder, node_modules linked; removed at the end).
// Second scenario: SIGTERM while --status followers' /status updates are in hand (Telegram holds the
// answers past the 8 s shutdown bound): how many hear from the restarted bot within --wait seconds.
// Usage: npm run bench:crash-intake [-- --followers 80 --status 20 --wait 60 --old ad49ebd
//   --only new|old --scenario kill|deadline]
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { startService, type Service } from "../test/support/process.js";
import { startStage, TOKEN, type Stage } from "./support.js";

const { values } = parseArgs({
  options: {
    followers: { type: "string", default: "80" },
    wait: { type: "string", default: "60" },
    // The commit this fix branched from: the code that left followers unanswered.
    old: { type: "string", default: "ad49ebd" },
    only: { type: "string" },
    scenario: { type: "string" },
    status: { type: "string", default: "20" },
  },
});
const FOLLOWERS = Number(values.followers);
const WAIT_MS = Number(values.wait) * 1000;
const STATUS_FOLLOWERS = Number(values.status);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Polls `condition` every 100 ms; false once `timeoutMs` has passed (never hangs). */
async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

async function polling(stage: Stage, service: Service): Promise<void> {
  const polls = () => stage.telegram.callsOf("getUpdates").some((call) => call.at > service.startedAt);
  const ok = await waitUntil(polls, 30_000);
  if (!ok) throw new Error(`the bot did not start polling within 30 s; it printed:\n${service.output().slice(-2000)}`);
}

/** A fresh stage, and a starter of the bot (this checkout's code, or `cwd`'s) that waits until it polls. */
async function withBot<T>(
  cwd: string | undefined,
  extra: Record<string, string>,
  body: (stage: Stage, start: () => Promise<Service>) => Promise<T>,
): Promise<T> {
  const stage = await startStage();
  const env = {
    BOT_TOKEN: TOKEN,
    REDIS_URL: stage.redisUrl,
    SEAL_KEYS: generateKeyringEntry(),
    TELEGRAM_API_ROOT: stage.telegramUrl,
    BYBIT_BASE_URL: stage.bybitUrl,
    BYBIT_SITES: stage.bybitSites.env,
    ROLE: "bot",
    LOG_LEVEL: "warn",
    ...extra,
  };
  const services: Service[] = [];
  const start = async () => {
    const service = startService(env, cwd);
    services.push(service);
    await polling(stage, service);
    return service;
  };
  try {
    return await body(stage, start);
  } finally {
    await Promise.all(services.filter((service) => service.child.exitCode === null).map((service) => service.crash()));
    await stage.stop();
  }
}

const followersFrom = (first: number, count: number): FakeUser[] =>
  Array.from({ length: count }, (_, i) => ({ id: first + i, is_bot: false, first_name: "F" }));

/** A wave of pasted keys, kill -9 once half are deleted: who heard nothing after the restart. */
function killMidWave(label: string, cwd: string | undefined) {
  return withBot(cwd, {}, async (stage, start) => {
    const { telegram, bybit } = stage;
    const followers = followersFrom(5_000_000, FOLLOWERS);
    const heard = (follower: FakeUser) => telegram.botTexts(follower.id).length;
    const bot = await start();
    for (const follower of followers) telegram.sendText(follower, "/connect");
    say(`${label}: ${FOLLOWERS} followers sent /connect`);
    const allHaveSteps = await waitUntil(() => followers.every((follower) => heard(follower) >= 1), 60_000);
    if (!allHaveSteps) throw new Error("not every follower got the /connect steps within 60 s");
    const before = new Map(followers.map((follower) => [follower.id, heard(follower)]));
    const deletedBefore = telegram.callsOf("deleteMessage").length;
    say(`${label}: all have the steps; the wave of pastes starts`);
    for (const follower of followers) {
      const creds = canaryCredentials();
      bybit.addKey(creds);
      telegram.sendText(follower, `${creds.apiKey} ${creds.apiSecret}`);
    }
    // Mid-wave: half of the pasted messages deleted.
    const deleted = () => telegram.callsOf("deleteMessage").length - deletedBefore;
    const half = await waitUntil(() => deleted() >= FOLLOWERS / 2, 30_000);
    await bot.crash();
    const answeredSoFar = followers.filter((follower) => heard(follower) > before.get(follower.id)!).length;
    say(
      `${label}: kill -9 ${half ? "with half of the pastes deleted" : "after 30 s (half never deleted)"}; ${answeredSoFar} answered`,
    );
    await start();
    const restartedAt = Date.now();
    const unanswered = () => followers.filter((follower) => heard(follower) === before.get(follower.id)!).length;
    let lastSaid = 0;
    await waitUntil(() => {
      if (Date.now() - lastSaid > 10_000) {
        lastSaid = Date.now();
        const seconds = Math.round((Date.now() - restartedAt) / 1000);
        say(`${label}: ${seconds} s after the restart, ${unanswered()} unanswered`);
      }
      return unanswered() === 0;
    }, WAIT_MS);
    // How they heard: the restart notice for a paste nobody answered, the notice of a key check cut
    // short, or both (told twice).
    const since = (follower: FakeUser) => telegram.botTexts(follower.id).slice(before.get(follower.id)!);
    const told = (words: string) => (follower: FakeUser) => since(follower).some((text) => text.includes(words));
    const toldPaste = told("I was restarted just as your message with a key arrived");
    const toldCheck = told("I was restarted while checking your key");
    return {
      code: label,
      followers: FOLLOWERS,
      unanswered: unanswered(),
      allAnsweredAfterMs: unanswered() === 0 ? Date.now() - restartedAt : null,
      toldPasteUnanswered: followers.filter(toldPaste).length,
      toldCheckCutShort: followers.filter(toldCheck).length,
      toldBoth: followers.filter((follower) => toldPaste(follower) && toldCheck(follower)).length,
    };
  });
}

/**
 * SIGTERM while /status updates are in hand (Telegram holds their answers longer than the
 * 8 s shutdown bound): how many of their senders hear from the restarted bot within --wait.
 */
function shutdownDeadline(label: string, cwd: string | undefined) {
  return withBot(cwd, {}, async (stage, start) => {
    const { telegram } = stage;
    const followers = followersFrom(6_000_000, STATUS_FOLLOWERS);
    const bot = await start();
    telegram.delayMethod("sendMessage", 12_000);
    for (const follower of followers) telegram.sendText(follower, "/status");
    const sentTo = (follower: FakeUser) =>
      telegram.callsOf("sendMessage").some((call) => call.payload.chat_id === follower.id);
    const allSent = await waitUntil(() => followers.every(sentTo), 30_000);
    if (!allSent) throw new Error("the /status answers did not leave within 30 s");
    bot.child.kill("SIGTERM");
    const { code } = await bot.exited;
    telegram.delayMethod("sendMessage", 0);
    say(`${label}: SIGTERM with ${STATUS_FOLLOWERS} /status in hand; exit code ${code}`);
    await start();
    const restartedAt = Date.now();
    const told = () => followers.filter((follower) => telegram.botTexts(follower.id).length > 0).length;
    await waitUntil(() => told() === STATUS_FOLLOWERS, WAIT_MS);
    const untold = STATUS_FOLLOWERS - told();
    const allToldAfterMs = untold === 0 ? Date.now() - restartedAt : null;
    return { code: label, inHandAtDeadline: STATUS_FOLLOWERS, unanswered: untold, allToldAfterMs };
  });
}

async function run(label: string, cwd: string | undefined) {
  const scenarios = [];
  if (values.scenario !== "deadline")
    scenarios.push({ scenario: "kill -9 mid-wave", ...(await killMidWave(label, cwd)) });
  if (values.scenario !== "kill")
    scenarios.push({ scenario: "shutdown deadline", ...(await shutdownDeadline(label, cwd)) });
  return scenarios;
}

/** The old code in a temporary worktree of this repository, sharing this checkout's node_modules. */
function oldCheckout(revision: string): { dir: string; remove(): void } {
  const dir = join(mkdtempSync(join(tmpdir(), "crash-intake-")), "old");
  execFileSync("git", ["worktree", "add", "--detach", dir, revision], { stdio: "ignore" });
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  return {
    dir,
    remove() {
      execFileSync("git", ["worktree", "remove", "--force", dir], { stdio: "ignore" });
      rmSync(resolve(dir, ".."), { recursive: true, force: true });
    },
  };
}

const results = [];
if (values.only !== "old") results.push(...(await run("new", undefined)));
if (values.only !== "new") {
  const old = oldCheckout(values.old!);
  try {
    results.push(...(await run(`old (${values.old})`, old.dir)));
  } finally {
    old.remove();
  }
}
for (const result of results) console.log("crash-intake", JSON.stringify(result));
process.exit(0);
