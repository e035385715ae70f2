// Redis at its memory limit (issue 21, defect 2): N followers (20) paste a key while Redis refuses
// writes (maxmemory + noeviction), then the limit is lifted and the bench waits (45 s) and counts
// what each follower reads last. The real src/main.ts in a child process, its own redis-server, the
// fake Telegram and the fake Bybit.
//   --when paste: the limit is set before the keys are pasted;
//   --when check: the limit is hit while Bybit is being asked (the fake Bybit holds its answers
//     until every follower's check is in flight, then the limit is set and Bybit answers).
//   --headroom N: the limit is N bytes above what Redis holds when it is set, so that some writes
//     still pass and the rest are refused (by default every write is refused).
// Usage: npm run bench:redis-full -- --when paste|check [--followers 20] [--full 10] [--wait 45] [--headroom 0]
import { parseArgs } from "node:util";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { startStage, type Stage } from "./support.js";

const { values } = parseArgs({
  options: {
    when: { type: "string", default: "paste" },
    followers: { type: "string", default: "20" },
    full: { type: "string", default: "10" },
    wait: { type: "string", default: "45" },
    headroom: { type: "string", default: "0" },
  },
});
const WHEN = values.when === "check" ? "check" : "paste";
const FOLLOWERS = Number(values.followers);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CHECKING = "Checking the key with Bybit…";
const TOLD_STORED = [/✅ Connected/, /is connected\. Sorry for the wait/, /was stored after all/i];
const TOLD_NOT_STORED = [/nothing was stored/i, /was not stored/i, /send it again/i, /not stored/i];

export type Verdict =
  "stuck checking" | "no reply" | "told stored" | "told not stored" | "told unsure" | "told something else";

/** What a follower reads last, since the paste. */
export function verdictOf(texts: string[]): Verdict {
  const last = texts.at(-1);
  if (last === undefined) return "no reply";
  if (last === CHECKING) return "stuck checking";
  if (TOLD_STORED.some((pattern) => pattern.test(last))) return "told stored";
  if (TOLD_NOT_STORED.some((pattern) => pattern.test(last))) return "told not stored";
  if (/can’t tell whether/.test(last)) return "told unsure";
  return "told something else";
}

/** The limit: 1 byte (every write refused), or --headroom bytes above what Redis holds now (writes refused part way through). */
async function full(stage: Stage) {
  const headroom = Number(values.headroom);
  const used = Number(/used_memory:(\d+)/.exec(await stage.redis.info("memory"))![1]);
  await stage.redis.config("SET", "maxmemory", String(headroom > 0 ? used + headroom : 1));
}
const lift = (stage: Stage) => stage.redis.config("SET", "maxmemory", "0");

/** What each follower read last since the paste, against what Redis holds. */
async function tally(stage: Stage, followers: FakeUser[], before: Map<number, number>) {
  const counts: Record<string, number> = {
    "stuck checking": 0,
    "stored but not told": 0,
    "no reply": 0,
    "told stored": 0,
    "told not stored": 0,
  };
  const wrong: string[] = [];
  for (const [index, user] of followers.entries()) {
    const texts = stage.telegram.botTexts(user.id).slice(before.get(user.id));
    const verdict = verdictOf(texts);
    counts[verdict] = (counts[verdict] ?? 0) + 1;
    const stored = (await stage.redis.hget(`follower:{${user.id}}:credential`, "status")) === "active";
    if (stored && verdict !== "told stored") counts["stored but not told"]! += 1;
    if ((verdict === "told stored" && !stored) || (verdict === "told not stored" && stored))
      wrong.push(`follower ${index}: ${verdict}, stored ${stored}`);
    if (verdict === "told something else" || verdict === "told unsure")
      wrong.push(`follower ${index} read last: ${texts.at(-1)!.slice(0, 90)}`);
  }
  return { counts, wrong };
}

async function run() {
  const stage = await startStage();
  let release = () => undefined as void;
  try {
    await stage.startBot("src/main.ts", { KEY_PAIR_POOL_SIZE: "0", LOG_LEVEL: "error" });
    const followers: FakeUser[] = Array.from({ length: FOLLOWERS }, (_, index) => ({
      id: 600_000 + index,
      is_bot: false,
      first_name: `R${index}`,
    }));
    const keys = followers.map(() => canaryCredentials());
    keys.forEach((credentials) => stage.bybit.addKey(credentials));
    await Promise.all(
      followers.map(async (user) => {
        stage.telegram.sendText(user, "/connect");
        await stage.telegram.nextBotMessage(user.id, 30_000);
      }),
    );
    // The flows' state is written after their first word: let it land before Redis fills up.
    await sleep(1000);
    const before = new Map(followers.map((user) => [user.id, stage.telegram.botTexts(user.id).length]));

    const pasteAll = () =>
      followers.forEach((user, index) =>
        stage.telegram.sendText(user, `${keys[index]!.apiKey} ${keys[index]!.apiSecret}`),
      );
    if (WHEN === "check") {
      const held = new Set<string>();
      const gate = new Promise<void>((resolve) => (release = resolve));
      let allIn = () => undefined as void;
      const arrived = new Promise<void>((resolve) => (allIn = resolve));
      stage.bybit.beforeAnswer = async (request) => {
        if (request.apiKey) held.add(request.apiKey);
        if (held.size >= FOLLOWERS) allIn();
        await gate;
      };
      pasteAll();
      await Promise.race([arrived, sleep(30_000)]);
      await full(stage);
      release();
      console.error(`limit set with ${held.size} of ${FOLLOWERS} checks at Bybit`);
    } else {
      await full(stage);
      pasteAll();
    }
    await sleep(Number(values.full) * 1000);
    await lift(stage);
    const liftedAt = Date.now();
    const liftedPerf = performance.now();
    await sleep(Number(values.wait) * 1000);

    const waitedSeconds = Math.round((Date.now() - liftedAt) / 1000);
    const { counts, wrong } = await tally(stage, followers, before);
    const lastSends = followers.map(
      (user) =>
        stage.telegram
          .callsOf("sendMessage")
          .filter((call) => call.payload.chat_id === user.id)
          .at(-1)?.at ?? 0,
    );
    const slowestTellAfterLiftS = Math.round(Math.max(0, ...lastSends.map((at) => at - liftedPerf)) / 100) / 10;
    const figures = { followers: FOLLOWERS, fullSeconds: Number(values.full), waitedSeconds };
    return { when: WHEN, headroom: Number(values.headroom), ...figures, ...counts, slowestTellAfterLiftS, wrong };
  } finally {
    release();
    await lift(stage).catch(() => undefined);
    await stage.stop();
  }
}

console.log(JSON.stringify(await run(), null, 1));
process.exit(0);
