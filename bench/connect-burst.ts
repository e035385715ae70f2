// Burst benchmark: N followers (200 by default) send their key and secret at the same moment.
// Runs the real entry point (src/main.ts) and the bare baseline (bench/bare-bot.ts) in child
// processes, each against its own redis-server and the protocol fakes, and prints:
//   exposure: from getUpdates handing the credential message to the bot until its deleteMessage arrives
//   connects per second, CPU per connect (the bot process's user+system time, from /proc),
//   Redis commands and bytes per connected follower.
// Each round starts everything afresh; the summary gives the median of the rounds.
//   verdict: from the credential message taken to the "Connected" message's arrival; Bybit requests per connect
//     (every site's fake counted). `--site tr` makes every key one that only that Bybit site knows (found by
//     the bot's search over sites); `--latency 50` makes each fake Bybit answer after that many ms (a round
//     trip, which the local fakes do not have).
// Usage: npm run bench [-- --followers 200 --rounds 3 --only ours|bare --site global|tr|… --latency 0]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Redis } from "ioredis";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeMessage, FakeUser } from "../test/support/fake-telegram.js";
import { BYBIT_SITES } from "../src/exchange/bybit/sites.js";
import { cpuMs, median, percentile, round1, startStage } from "./support.js";

const { values } = parseArgs({
  options: {
    followers: { type: "string", default: "200" },
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    site: { type: "string", default: "global" },
    latency: { type: "string", default: "0" },
  },
});
const SITE = values.site;
const LATENCY_MS = Number(values.latency);
const FOLLOWERS = Number(values.followers);
const ROUNDS = Number(values.rounds);

type Variant = "ours" | "bare";
const entryPoints: Record<Variant, string> = { ours: "src/main.ts", bare: "bench/bare-bot.ts" };

interface Figures {
  variant: Variant;
  exposureMedianMs: number;
  exposureP99Ms: number;
  exposureMaxMs: number;
  verdictMedianMs: number;
  verdictP99Ms: number;
  bybitRequestsPerConnect: number;
  connectsPerSecond: number;
  cpuMsPerConnect: number;
  redisCommandsPerFollower: number;
  redisBytesPerFollower: number;
  storedBytesPerFollower: number;
  accepted: number;
}

async function redisTotals(redis: Redis): Promise<{ commands: number; bytes: number }> {
  const info = await redis.info("stats");
  const read = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 0);
  return {
    commands: read("total_commands_processed"),
    bytes: read("total_net_input_bytes") + read("total_net_output_bytes"),
  };
}

async function measure(variant: Variant): Promise<Figures> {
  const stage = await startStage();
  const { telegram, bybitSites, redis } = stage;
  try {
    const bybit = bybitSites.site(SITE);
    for (const id of BYBIT_SITES.map((site) => site.id)) {
      if (LATENCY_MS > 0) bybitSites.site(id).beforeAnswer = () => new Promise((done) => setTimeout(done, LATENCY_MS));
    }
    const followers = Array.from({ length: FOLLOWERS }, (_, index) => {
      const user: FakeUser = { id: 500_000 + index, is_bot: false, first_name: `F${index}` };
      const credentials = canaryCredentials();
      bybit.addKey(credentials);
      return { user, credentials };
    });
    // No key pair pool: its refill (a background thread) would count in the bot's CPU; bench/key-pairs.ts measures it.
    const child = await stage.startBot(entryPoints[variant], { KEY_PAIR_POOL_SIZE: "0" });

    // Everyone opens the flow first; the burst is the credentials alone.
    for (const { user } of followers) telegram.sendText(user, "/connect");
    await Promise.all(followers.map(({ user }) => telegram.nextBotMessage(user.id, 60_000)));
    // Let the bot finish storing those conversations: the burst should meet an idle bot.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const requestsBefore = bybitSites.requestsBySite().length;
    const redisBefore = await redisTotals(redis);
    const cpuBefore = cpuMs(child.pid!);
    const burstStart = performance.now();
    const sent: FakeMessage[] = followers.map(({ user, credentials }) =>
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
    const bybitRequests = bybitSites.requestsBySite().length - requestsBefore;
    const elapsedMs = performance.now() - burstStart;
    const cpuSpent = cpuMs(child.pid!) - cpuBefore;
    const redisAfter = await redisTotals(redis);

    const deletedAt = new Map(
      telegram.callsOf("deleteMessage").map((call) => [`${call.payload.chat_id}:${call.payload.message_id}`, call.at]),
    );
    const exposures = sent
      .map((message) => deletedAt.get(`${message.chat.id}:${message.message_id}`)! - telegram.takenAtOf(message)!)
      .sort((a, b) => a - b);
    const storedKeys = variant === "ours" ? await redis.keys("follower:*") : await redis.keys("bare:*");
    const stored = await Promise.all(storedKeys.map((key) => redis.memory("USAGE", key)));
    return {
      variant,
      exposureMedianMs: percentile(exposures, 50),
      exposureP99Ms: percentile(exposures, 99),
      exposureMaxMs: exposures.at(-1)!,
      verdictMedianMs: percentile(verdicts, 50),
      verdictP99Ms: percentile(verdicts, 99),
      bybitRequestsPerConnect: bybitRequests / FOLLOWERS,
      connectsPerSecond: (FOLLOWERS / elapsedMs) * 1000,
      cpuMsPerConnect: cpuSpent / FOLLOWERS,
      redisCommandsPerFollower: (redisAfter.commands - redisBefore.commands) / FOLLOWERS,
      redisBytesPerFollower: (redisAfter.bytes - redisBefore.bytes) / FOLLOWERS,
      storedBytesPerFollower:
        stored.reduce((sum: number, bytes) => sum + Number(bytes ?? 0), 0) / Math.max(1, stored.length),
      accepted: outcomes.filter(Boolean).length,
    };
  } finally {
    await stage.stop();
  }
}

const variants: Variant[] = values.only ? [values.only as Variant] : ["bare", "ours"];
const results: Figures[] = [];
for (let round = 0; round < ROUNDS; round += 1) for (const variant of variants) results.push(await measure(variant));

const row = (figures: Omit<Figures, "variant" | "accepted"> & { accepted: string }) => ({
  "exposure median ms": round1(figures.exposureMedianMs),
  "exposure p99 ms": round1(figures.exposureP99Ms),
  "exposure max ms": round1(figures.exposureMaxMs),
  "verdict median ms": round1(figures.verdictMedianMs),
  "verdict p99 ms": round1(figures.verdictP99Ms),
  "Bybit reqs/connect": round1(figures.bybitRequestsPerConnect),
  "connects/s": round1(figures.connectsPerSecond),
  "CPU ms/connect": round1(figures.cpuMsPerConnect),
  "Redis cmds/follower": round1(figures.redisCommandsPerFollower),
  "Redis bytes/follower": Math.round(figures.redisBytesPerFollower),
  "stored bytes/follower": Math.round(figures.storedBytesPerFollower),
  accepted: figures.accepted,
});
const table: Record<string, ReturnType<typeof row>> = {};
const medians: Partial<Record<Variant, Figures>> = {};
for (const variant of variants) {
  const rounds = results.filter((figures) => figures.variant === variant);
  rounds.forEach(
    (figures, index) =>
      (table[`${variant} #${index + 1}`] = row({ ...figures, accepted: `${figures.accepted}/${FOLLOWERS}` })),
  );
  const summary = Object.fromEntries(
    (Object.keys(rounds[0]!) as (keyof Figures)[]).map((name) => [
      name,
      name === "variant" ? variant : median(rounds.map((figures) => Number(figures[name]))),
    ]),
  ) as unknown as Figures;
  medians[variant] = summary;
  table[`${variant} median`] = row({
    ...summary,
    accepted: `${Math.min(...rounds.map((figures) => figures.accepted))}/${FOLLOWERS} (worst)`,
  });
}

process.stdout.write(
  `\n${FOLLOWERS} followers send key and secret at once, keys of Bybit's ${SITE} site, Bybit answering after ` +
    `${LATENCY_MS} ms; ${ROUNDS} rounds (exposure = update taken → deleteMessage received; verdict = update taken → ` +
    `"Connected" received)\n\n`,
);
console.table(table);
if (medians.bare && medians.ours) {
  process.stdout.write(
    `CPU per connect, ours / bare (medians): ${round1(medians.ours.cpuMsPerConnect / medians.bare.cpuMsPerConnect)}×\n`,
  );
}
