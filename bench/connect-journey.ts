// The whole connect journey of N followers at once, ours (src/main.ts) against the bare grammY bot: everyone sends
// /connect and gets the bot's question, then all paste key and secret at the same moment. The paste burst gives the
// exposure and verdict times; CPU, Redis commands and bytes cover the whole journey. See connect-burst.ts.
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import { BYBIT_SITES } from "../src/exchange/bybit/sites.js";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeBybitSites } from "../test/support/bybit-sites.js";
import type { FakeBybit } from "../test/support/fake-bybit.js";
import type { FakeMessage, FakeTelegram, FakeUser } from "../test/support/fake-telegram.js";
import { cpuMs, median, percentile, round1, startReadyBot, startStage, type Startup } from "./support.js";
import { minus, processCpuMs, threadBreakdown, threadsOf, treeCpuMs, type ThreadShare } from "./proc-cpu.js";

export type Variant = "ours" | "bare";
/** How long the bot's idle CPU is measured before the journey: ten of /proc's 10 ms ticks would be too coarse. */
const IDLE_WINDOW_MS = 5000;
const entryPoints: Record<Variant, string> = { ours: "src/main.ts", bare: "bench/bare-bot.ts" };

export interface JourneyOptions {
  followers: number;
  site: string;
  latencyMs: number;
  /** Ours runs with this pool (KEY_PAIR_POOL_SIZE), full before the journey starts. */
  poolSize: number;
}

export interface JourneyFigures {
  exposureMedianMs: number;
  exposureP99Ms: number;
  exposureMaxMs: number;
  verdictMedianMs: number;
  verdictP99Ms: number;
  bybitRequestsPerConnect: number;
  connectsPerSecond: number;
  journeySeconds: number;
  botCpuMsPerConnect: number;
  redisCpuMsPerConnect: number;
  botAndRedisCpuMsPerConnect: number;
  burstCpuMsPerConnect: number;
  redisCommandsPerFollower: number;
  redisBytesPerFollower: number;
  storedBytesPerFollower: number;
  /** The bot's CPU per second while idle, just before the journey (all threads and descendants). */
  idleCpuMsPerSecond: number;
  accepted: number;
}

export interface JourneyRun {
  variant: Variant;
  figures: JourneyFigures;
  /** The bot's CPU over the journey by kind of thread, ms. */
  threads: Map<string, ThreadShare>;
  startup: Startup;
}

async function redisTotals(redis: Redis): Promise<{ commands: number; bytes: number }> {
  const info = await redis.info("stats");
  const read = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 0);
  return {
    commands: read("total_commands_processed"),
    bytes: read("total_net_input_bytes") + read("total_net_output_bytes"),
  };
}

/** Every Bybit site of the stage answers `latencyMs` late (0: at once). */
export function answerAfter(bybitSites: FakeBybitSites, latencyMs: number): void {
  if (latencyMs <= 0) return;
  for (const { id } of BYBIT_SITES)
    bybitSites.site(id).beforeAnswer = () => new Promise((done) => setTimeout(done, latencyMs));
}

export interface JourneyFollower {
  user: FakeUser;
  credentials: ReturnType<typeof canaryCredentials>;
}

/** `count` followers with ids from `firstId`, each with a key of their own known to `bybit`. */
export function journeyFollowers(bybit: FakeBybit, count: number, firstId: number): JourneyFollower[] {
  return Array.from({ length: count }, (_, index) => {
    const user: FakeUser = { id: firstId + index, is_bot: false, first_name: `F${index}` };
    const credentials = canaryCredentials();
    bybit.addKey(credentials);
    return { user, credentials };
  });
}

/**
 * The journey: everyone opens the flow first; then, a second later, the burst of credentials (`beforePaste` just
 * before it), meeting a bot done storing those conversations. Each paste's time to its verdict, sorted.
 */
export async function runJourney(
  telegram: FakeTelegram,
  followers: JourneyFollower[],
  beforePaste: () => void = () => undefined,
): Promise<{ sent: FakeMessage[]; verdicts: number[]; accepted: number }> {
  for (const { user } of followers) telegram.sendText(user, "/connect");
  await Promise.all(followers.map(({ user }) => telegram.nextBotMessage(user.id, 60_000)));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  beforePaste();
  const sent = followers.map(({ user, credentials }) =>
    telegram.sendText(user, `${credentials.apiKey} ${credentials.apiSecret}`),
  );
  const verdicts: number[] = [];
  const outcomes = await Promise.all(
    followers.map(async ({ user }, index) => {
      for (;;) {
        const reply = await telegram.nextBotMessage(user.id, 60_000);
        const text = String(reply.payload.text);
        if (text.startsWith("✅")) {
          verdicts.push(reply.at - telegram.takenAtOf(sent[index]!)!);
          return true;
        }
        if (text.startsWith("❌") || text.includes("Nothing was stored")) return false;
      }
    }),
  );
  verdicts.sort((a, b) => a - b);
  return { sent, verdicts, accepted: outcomes.filter(Boolean).length };
}

export async function measureJourney(variant: Variant, options: JourneyOptions): Promise<JourneyRun> {
  const { followers: count, site, latencyMs } = options;
  const stage = await startStage();
  const { telegram, bybitSites, redis } = stage;
  try {
    const bybit = bybitSites.site(site);
    answerAfter(bybitSites, latencyMs);
    const followers = journeyFollowers(bybit, count, 500_000);
    const pool = variant === "ours" ? options.poolSize : undefined;
    const { bot, startup } = await startReadyBot(stage, entryPoints[variant], pool);
    const pid = bot.pid!;
    const idleBefore = processCpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const idleCpuMsPerSecond = ((processCpuMs(pid) - idleBefore) * 1000) / IDLE_WINDOW_MS;

    const requestsBefore = bybitSites.requestsBySite().length;
    const redisBefore = await redisTotals(redis);
    const [treeBefore, threadsBefore, redisCpuBefore] = [treeCpuMs(pid), threadsOf(pid), cpuMs(stage.redisPid)];
    const journeyStart = performance.now();
    let burstCpuBefore = treeCpuMs(pid);
    let burstStart = journeyStart;
    const { sent, verdicts, accepted } = await runJourney(telegram, followers, () => {
      burstCpuBefore = treeCpuMs(pid);
      burstStart = performance.now();
    });
    const end = performance.now();
    const [treeAfter, threadsAfter, redisCpuAfter] = [treeCpuMs(pid), threadsOf(pid), cpuMs(stage.redisPid)];
    const redisAfter = await redisTotals(redis);
    const bybitRequests = bybitSites.requestsBySite().length - requestsBefore;
    const journey = minus(treeAfter, treeBefore);
    const burst = minus(treeAfter, burstCpuBefore);

    const deletedAt = new Map(
      telegram.callsOf("deleteMessage").map((call) => [`${call.payload.chat_id}:${call.payload.message_id}`, call.at]),
    );
    const exposures = sent
      .map((message) => deletedAt.get(`${message.chat.id}:${message.message_id}`)! - telegram.takenAtOf(message)!)
      .sort((a, b) => a - b);
    const storedKeys = variant === "ours" ? await redis.keys("follower:*") : await redis.keys("bare:*");
    const stored = await Promise.all(storedKeys.map((key) => redis.memory("USAGE", key)));
    const botCpuMsPerConnect = (journey.threads + journey.children) / count;
    const redisCpuMsPerConnect = (redisCpuAfter - redisCpuBefore) / count;
    const figures: JourneyFigures = {
      exposureMedianMs: percentile(exposures, 50),
      exposureP99Ms: percentile(exposures, 99),
      exposureMaxMs: exposures.at(-1)!,
      verdictMedianMs: percentile(verdicts, 50),
      verdictP99Ms: percentile(verdicts, 99),
      bybitRequestsPerConnect: bybitRequests / count,
      connectsPerSecond: (count / (end - burstStart)) * 1000,
      journeySeconds: (end - journeyStart) / 1000,
      botCpuMsPerConnect,
      redisCpuMsPerConnect,
      botAndRedisCpuMsPerConnect: botCpuMsPerConnect + redisCpuMsPerConnect,
      burstCpuMsPerConnect: (burst.threads + burst.children) / count,
      redisCommandsPerFollower: (redisAfter.commands - redisBefore.commands) / count,
      redisBytesPerFollower: (redisAfter.bytes - redisBefore.bytes) / count,
      storedBytesPerFollower:
        stored.reduce((sum: number, bytes) => sum + Number(bytes ?? 0), 0) / Math.max(1, stored.length),
      idleCpuMsPerSecond,
      accepted,
    };
    return { variant, figures, threads: threadBreakdown(pid, threadsBefore, threadsAfter, journey), startup };
  } finally {
    await stage.stop();
  }
}

const burstRow = (figures: JourneyFigures, accepted: string) => ({
  "exposure median ms": round1(figures.exposureMedianMs),
  "exposure p99 ms": round1(figures.exposureP99Ms),
  "exposure max ms": round1(figures.exposureMaxMs),
  "verdict median ms": round1(figures.verdictMedianMs),
  "verdict p99 ms": round1(figures.verdictP99Ms),
  "Bybit reqs/connect": round1(figures.bybitRequestsPerConnect),
  "connects/s": round1(figures.connectsPerSecond),
  accepted,
});
const journeyRow = (figures: JourneyFigures) => ({
  "journey s": round1(figures.journeySeconds),
  "bot CPU ms/connect": round1(figures.botCpuMsPerConnect),
  "redis-server CPU ms/connect": round1(figures.redisCpuMsPerConnect),
  "bot+redis CPU ms/connect": round1(figures.botAndRedisCpuMsPerConnect),
  "paste burst bot CPU ms/connect": round1(figures.burstCpuMsPerConnect),
  "Redis cmds/follower": round1(figures.redisCommandsPerFollower),
  "Redis bytes/follower": Math.round(figures.redisBytesPerFollower),
  "stored bytes/follower": Math.round(figures.storedBytesPerFollower),
  "idle CPU ms/s": round1(figures.idleCpuMsPerSecond),
});

export function printJourney(runs: JourneyRun[], followers: number): void {
  const burst: Record<string, ReturnType<typeof burstRow>> = {};
  const whole: Record<string, ReturnType<typeof journeyRow>> = {};
  const medians: Partial<Record<Variant, JourneyFigures>> = {};
  for (const variant of ["bare", "ours"] as Variant[]) {
    const rounds = runs.filter((run) => run.variant === variant).map((run) => run.figures);
    if (rounds.length === 0) continue;
    rounds.forEach((figures, index) => {
      burst[`${variant} #${index + 1}`] = burstRow(figures, `${figures.accepted}/${followers}`);
      whole[`${variant} #${index + 1}`] = journeyRow(figures);
    });
    const summary = Object.fromEntries(
      (Object.keys(rounds[0]!) as (keyof JourneyFigures)[]).map((name) => [
        name,
        median(rounds.map((figures) => figures[name])),
      ]),
    ) as unknown as JourneyFigures;
    medians[variant] = summary;
    const worst = Math.min(...rounds.map((figures) => figures.accepted));
    burst[`${variant} median`] = burstRow(summary, `${worst}/${followers} (worst)`);
    whole[`${variant} median`] = journeyRow(summary);
  }
  process.stdout.write("Paste burst (exposure, verdict, connects/s):\n");
  console.table(burst);
  process.stdout.write("Whole journey, /connect wave → last verdict (CPU, Redis):\n");
  console.table(whole);
  const { ours, bare } = medians;
  if (ours && bare) {
    const ratio = (name: keyof JourneyFigures) => `${round1(ours[name] / bare[name])}×`;
    process.stdout.write(
      `CPU per whole connect, ours / bare (medians): bot ${ratio("botCpuMsPerConnect")}, ` +
        `bot + redis-server ${ratio("botAndRedisCpuMsPerConnect")}\n`,
    );
  }
  const ourRuns = runs.filter((run) => run.variant === "ours");
  if (ourRuns.length > 0) printThreads(ourRuns, followers);
  for (const run of runs.filter(({ startup }) => !startup.idle)) {
    process.stdout.write(
      `Note: the ${run.variant} bot never spent under 20 ms of CPU in a second before the journey.\n`,
    );
  }
}

function printThreads(runs: JourneyRun[], followers: number): void {
  const labels = [...new Set(runs.flatMap((run) => [...run.threads.keys()]))];
  const table: Record<string, Record<string, number>> = {};
  for (const label of labels) {
    const row: Record<string, number> = {};
    runs.forEach(
      (run, index) => (row[`#${index + 1} CPU ms/connect`] = round1((run.threads.get(label)?.ms ?? 0) / followers)),
    );
    row.threads = runs.at(-1)!.threads.get(label)?.threads ?? 0;
    table[label] = row;
  }
  process.stdout.write(
    "Ours, the bot's CPU over the whole journey by thread (ms per connect; threads in the last round):\n",
  );
  console.table(table);
}
