// The connect benchmark, in three parts (`--parts journey,taps,startup`, all by default). Each run starts a fresh
// redis-server and the protocol fakes; bots run in child processes, ours with its key-pair pool at its default size.
//   journey: N followers (200) each send /connect, get the question, then all paste key and secret at once; ours
//     (src/main.ts) against a bare grammY bot (bench/bare-bot.ts), `--rounds` times each (connect-journey.ts).
//   taps: N followers tap "Make the key for me" at once, Telegram pacing lifted, while 20 others ask /status
//     (tap-burst.ts).
//   startup: ours from spawn until its pool is full, taken from every start of ours in the run.
// `--site tr` makes every key one that only that Bybit site knows (found by the bot's search over sites);
// `--latency 50` makes each fake Bybit answer after that many ms (a round trip, which the local fakes do not have).
// Usage: npm run bench [-- --followers 200 --rounds 3 --only ours|bare --site global|tr|… --latency 0
//   --parts journey,taps,startup]   (--only picks the journey's variants; with --only bare, only the journey runs)
import { parseArgs } from "node:util";
import { measureJourney, printJourney, type JourneyRun, type Variant } from "./connect-journey.js";
import { DEFAULT_POOL_SIZE, median, round1, startReadyBot, startStage, type Startup } from "./support.js";
import { measureTaps, printTaps } from "./tap-burst.js";

const { values } = parseArgs({
  options: {
    followers: { type: "string", default: "200" },
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    site: { type: "string", default: "global" },
    latency: { type: "string", default: "0" },
    parts: { type: "string" },
  },
});
const FOLLOWERS = Number(values.followers);
const ROUNDS = Number(values.rounds);
const PARTS = new Set((values.parts ?? (values.only === "bare" ? "journey" : "journey,taps,startup")).split(","));
for (const part of PARTS) {
  if (!["journey", "taps", "startup"].includes(part))
    throw new Error(`--parts: "${part}" is not journey, taps or startup`);
}
const options = {
  followers: FOLLOWERS,
  site: values.site,
  latencyMs: Number(values.latency),
  poolSize: DEFAULT_POOL_SIZE,
};
const out = (line = "") => process.stdout.write(`${line}\n`);

out(`\nnpm run bench -- ${process.argv.slice(2).join(" ")}`.trimEnd());
out(`${FOLLOWERS} followers; ours with its key-pair pool at the default size (${DEFAULT_POOL_SIZE}), full and then`);
out("idle for a second before anything is measured. Medians and p99 are nearest-rank.");
if (PARTS.has("journey")) {
  out(
    `\nJOURNEY: ${ROUNDS} rounds; keys of Bybit's ${values.site} site, Bybit answering after ${options.latencyMs} ms.`,
  );
  out("  exposure = fake Telegram hands the credential message to the bot in getUpdates → its deleteMessage arrives");
  out('  verdict = the credential message taken → the "✅ Connected" reply arrives; connects/s over the paste burst');
  out("  CPU per connect, Redis cmds and bytes: whole journey, from just before the /connect wave until every");
  out("    follower has its verdict, over the followers; bot = all its threads (/proc/<pid>/stat) + descendants;");
  out("    redis-server = the stage's own; paste burst bot CPU = from the paste burst on only");
  out("  stored bytes = MEMORY USAGE of each follower's record; idle CPU = the bot's, per second, over 5 s just");
  out("    before the journey (what a replica costs doing nothing; the journey pays it for as long as it lasts)");
}
if (PARTS.has("taps")) {
  out(`\nTAPS: TELEGRAM_MESSAGES_PER_SECOND=1000; ${FOLLOWERS} followers /connect (each gets its reply), then all tap`);
  out('  "Make the key for me" at once; tap → public key = the press → the message with the public key arrives.');
  out("  20 other followers meanwhile send /status, wait for the reply (send → reply is the figure), rest 1.2 s");
  out("  (one message a second per chat is Telegram's pace), and again; and the same for 5 s before, on the idle bot.");
}
if (PARTS.has("startup")) {
  out("\nSTART-UP: ours from spawn to its first getUpdates, and to a full pool (wall, CPU of all threads);");
  out("  CPU per pair = CPU from first getUpdates to full pool, over the pool size.");
}

const startups: { where: string; startup: Startup }[] = [];
if (PARTS.has("journey")) {
  const variants: Variant[] = values.only ? [values.only as Variant] : ["bare", "ours"];
  const runs: JourneyRun[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const variant of variants) {
      const run = await measureJourney(variant, options);
      runs.push(run);
      if (variant === "ours") startups.push({ where: `journey #${round + 1}`, startup: run.startup });
    }
  }
  out();
  printJourney(runs, FOLLOWERS);
}
if (PARTS.has("taps")) {
  const figures = await measureTaps(FOLLOWERS, DEFAULT_POOL_SIZE);
  startups.push({ where: "taps", startup: figures.startup });
  out();
  printTaps(figures, FOLLOWERS, DEFAULT_POOL_SIZE);
}
if (PARTS.has("startup")) {
  if (startups.length === 0) {
    const stage = await startStage();
    try {
      startups.push({
        where: "start-up",
        startup: (await startReadyBot(stage, "src/main.ts", DEFAULT_POOL_SIZE)).startup,
      });
    } finally {
      await stage.stop();
    }
  }
  const row = ({ poolSize, pollingWallMs, pollingCpuMs, fullWallMs, fullCpuMs }: Startup) => ({
    "pool size": poolSize,
    "to polling wall s": round1(pollingWallMs / 1000),
    "to polling CPU s": round1(pollingCpuMs / 1000),
    "to full pool wall s": round1(fullWallMs / 1000),
    "to full pool CPU s": round1(fullCpuMs / 1000),
    "CPU ms/pair": poolSize ? round1((fullCpuMs - pollingCpuMs) / poolSize) : 0,
  });
  const rows = startups.map(({ where, startup }) => [where, row(startup)] as const);
  const table = Object.fromEntries(rows);
  if (rows.length > 1) {
    const columns = Object.keys(rows[0]![1]) as (keyof ReturnType<typeof row>)[];
    table.median = Object.fromEntries(
      columns.map((name) => [name, median(rows.map(([, one]) => one[name]))]),
    ) as ReturnType<typeof row>;
  }
  out("\nStart-up of ours, spawn → pool full:");
  console.table(table);
}
process.exit(0);
