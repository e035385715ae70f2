// The connect journey of `npm run bench` (everyone sends /connect, then all paste key and secret at once), run as
// several waves against one bot, each wave with new followers: CPU per connect wave by wave, by kind of thread. The
// first wave also pays for warming the bot's code up; to compare two builds of the bot (an ablation, a tuning),
// compare the medians of the later waves.
//   npm run bench:waves -- --bot ours|bare --followers 200 --waves 5 [--latency MS]
import { parseArgs } from "node:util";
import { answerAfter, journeyFollowers, runJourney } from "./connect-journey.js";
import { minus, threadBreakdown, threadsOf, treeCpuMs } from "./proc-cpu.js";
import { cpuMs, round1, startReadyBot, startStage } from "./support.js";

const { values } = parseArgs({
  options: {
    bot: { type: "string", default: "ours" },
    followers: { type: "string", default: "200" },
    waves: { type: "string", default: "5" },
    latency: { type: "string", default: "0" },
  },
});
const count = Number(values.followers);
const latencyMs = Number(values.latency);
const entryPoint = values.bot === "bare" ? "bench/bare-bot.ts" : "src/main.ts";
/** The key-pair pool plays no part in this journey: a small one, full soon, keeps start-up short. */
const POOL = 16;

const stage = await startStage();
const { telegram, bybitSites } = stage;
const bybit = bybitSites.site("global");
answerAfter(bybitSites, latencyMs);
try {
  const { bot } = await startReadyBot(stage, entryPoint, values.bot === "bare" ? undefined : POOL);
  const pid = bot.pid!;
  const rows: Record<string, Record<string, number>> = {};
  for (let wave = 1; wave <= Number(values.waves); wave += 1) {
    const followers = journeyFollowers(bybit, count, 700_000 + wave * 10_000);
    const [treeBefore, threadsBefore, redisBefore] = [treeCpuMs(pid), threadsOf(pid), cpuMs(stage.redisPid)];
    const start = performance.now();
    const { accepted } = await runJourney(telegram, followers);
    const journey = minus(treeCpuMs(pid), treeBefore);
    const threads = threadBreakdown(pid, threadsBefore, threadsOf(pid), journey);
    const share = (kind: string) =>
      [...threads].filter(([name]) => name.includes(kind)).reduce((sum, [, { ms }]) => sum + ms, 0) / count;
    rows[`wave ${wave}`] = {
      seconds: round1((performance.now() - start) / 1000),
      "bot CPU ms/connect": round1((journey.threads + journey.children) / count),
      "main thread": round1(share("main thread")),
      "V8 platform (GC, compiler)": round1(share("V8 platform")),
      "redis-server CPU ms/connect": round1((cpuMs(stage.redisPid) - redisBefore) / count),
      accepted,
    };
  }
  console.log(`${values.bot}: ${count} followers a wave, Bybit answering after ${latencyMs} ms`);
  console.table(rows);
} finally {
  await stage.stop();
}
