// The cost of the recommended way ("Make the key for me"), in three figures:
//   1. RSA-2048 key generation on this machine: generateKeyPairSync, median and p99.
//   2. CPU per Bybit request signed with RSA against HMAC: the exchange module's query-api call,
//      with the fake Bybit in another process so that only the client's work is counted.
//   3. A tap burst: N followers (200) tap "Make the key for me" at the same moment while 10 others
//      send /status every 100 ms. The real src/main.ts runs with a full pool of ready pairs, then
//      with none (every pair made on demand); it prints tap → public key on screen, and the other
//      followers' reply times during the burst against the same followers on an idle bot.
// Usage: npx tsx bench/key-pairs.ts [--samples 40] [--requests 300] [--followers 200] [--pool 256] [--only keygen|signing|burst]
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { bybit as bybitAdapter } from "../src/exchange/bybit/index.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { canaryCredentials } from "../test/support/canaries.js";
import { askStatus } from "./tap-burst.js";
import { cpuMs, median, percentile, round1, startStage, type Stage } from "./support.js";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "40" },
    requests: { type: "string", default: "300" },
    followers: { type: "string", default: "200" },
    pool: { type: "string", default: "256" },
    only: { type: "string" },
  },
});
const wanted = (part: string) => values.only === undefined || values.only === part;
const out = (line: string) => process.stdout.write(`${line}\n`);
const stats = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return `median ${round1(median(sorted))} ms, p99 ${round1(percentile(sorted, 99))} ms, max ${round1(sorted.at(-1)!)} ms (n=${sorted.length})`;
};

function measureKeygen(samples: number): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    const [startWall, startCpu] = [performance.now(), process.cpuUsage()];
    generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "der" },
    });
    const used = process.cpuUsage(startCpu);
    wall.push(performance.now() - startWall);
    cpu.push((used.user + used.system) / 1000);
  }
  out(`RSA-2048 generation, wall: ${stats(wall)}`);
  out(`RSA-2048 generation, CPU:  ${stats(cpu)}`);
}

/** A fake Bybit in a child process, holding one HMAC and one RSA key; its CPU is not ours. */
async function remoteBybit(keys: {
  hmac: { apiKey: string; apiSecret: string };
  rsa: { apiKey: string; rsaPublicKey: string };
}) {
  const child = spawn(process.execPath, ["--import", "tsx", "-e", REMOTE_BYBIT], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  child.stdin.end(JSON.stringify(keys));
  const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
  return { url, stop: () => child.kill("SIGTERM") };
}
const REMOTE_BYBIT = `
  import("./test/support/fake-bybit.ts").then(async ({ FakeBybit }) => {
    let input = "";
    for await (const chunk of process.stdin) input += chunk;
    const { hmac, rsa } = JSON.parse(input);
    const bybit = new FakeBybit();
    bybit.addKey(hmac);
    bybit.addKey(rsa);
    console.log(await bybit.start());
  });`;

async function measureSigning(requests: number): Promise<void> {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const hmac = canaryCredentials();
  const rsa = {
    apiKey: canaryCredentials().apiKey,
    apiSecret: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  const bybit = await remoteBybit({
    hmac,
    rsa: { apiKey: rsa.apiKey, rsaPublicKey: pair.publicKey.export({ type: "spki", format: "pem" }).toString() },
  });
  // CPU per signed request, nothing else: no budget to wait on.
  const exchange = bybitAdapter.connect({
    baseUrl: bybit.url,
    timeoutMs: 10_000,
    requestsPer5s: 300,
    budget: { beforeRequest: async () => undefined, followerCheck: async () => 0, followerSearch: async () => 0 },
  });
  // One client per call, as the bot makes them: query-api alone (the private key parsed for one
  // signature), and a /panic snapshot (one parse, 8 signed requests on an empty account).
  const calls = {
    "query-api": { requestsPerCall: 1, run: (credentials: typeof rsa) => exchange.isKeyAlive(credentials, "global") },
    snapshot: {
      requestsPerCall: 8,
      run: (credentials: typeof rsa) => exchange.snapshot(credentials, Date.now() - 86_400_000, "global"),
    },
  };
  const cpuPerRequest = async (call: keyof typeof calls, credentials: typeof rsa) => {
    const start = process.cpuUsage();
    for (let index = 0; index < requests; index += 1) {
      if (!(await calls[call].run(credentials)).ok) throw new Error("the fake Bybit refused a request");
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000 / requests / calls[call].requestsPerCall;
  };
  try {
    for (const call of Object.keys(calls) as (keyof typeof calls)[]) {
      // A first round of each warms up connections and the JIT.
      await cpuPerRequest(call, hmac);
      await cpuPerRequest(call, rsa);
      const [hmacMs, rsaMs] = [await cpuPerRequest(call, hmac), await cpuPerRequest(call, rsa)];
      out(
        `CPU per signed request, ${call}: HMAC ${hmacMs.toFixed(3)} ms, RSA ${rsaMs.toFixed(3)} ms (${(rsaMs / hmacMs).toFixed(1)}×; ${requests} calls each)`,
      );
    }
  } finally {
    bybit.stop();
  }
}

interface BurstFigures {
  tapToKey: number[];
  othersIdle: number[];
  othersDuringConnects: number[];
  othersDuringBurst: number[];
  publicKeysShown: number;
  /** The bot process's CPU (all threads) from the taps until the last public key was shown, per tap. */
  cpuMsPerTap: number;
}

/** The others' /status every 100 ms (this bench's own pace; `npm run bench` paces them as Telegram would). */
const sendStatusEvery100ms = (stage: Stage, others: FakeUser[], until: () => boolean) =>
  askStatus(stage, others, until, 100);

async function measureBurst(followerCount: number, poolSize: number): Promise<BurstFigures> {
  const stage = await startStage();
  try {
    const bot = await stage.startBot("src/main.ts", { KEY_PAIR_POOL_SIZE: String(poolSize) });
    const poolFilled = performance.now();
    while ((await stage.redis.llen("{key-pairs}:pool")) < poolSize)
      await new Promise((resolve) => setTimeout(resolve, 200));
    if (poolSize > 0)
      out(`  pool of ${poolSize} filled ${round1((performance.now() - poolFilled) / 1000)} s after start`);

    const followers: FakeUser[] = Array.from({ length: followerCount }, (_, index) => ({
      id: 600_000 + index,
      is_bot: false,
      first_name: `F${index}`,
    }));
    const others: FakeUser[] = Array.from({ length: 10 }, (_, index) => ({
      id: 700_000 + index,
      is_bot: false,
      first_name: `O${index}`,
    }));
    let idleDone = false;
    setTimeout(() => (idleDone = true), 2000);
    const othersIdle = await sendStatusEvery100ms(stage, others, () => idleDone);

    // The control: the same followers' /connect wave, a burst of the same size without key pairs.
    let connectsDone = false;
    const duringConnects = sendStatusEvery100ms(stage, others, () => connectsDone);
    for (const user of followers) stage.telegram.sendText(user, "/connect");
    await Promise.all(followers.map((user) => stage.telegram.nextBotMessage(user.id, 60_000)));
    connectsDone = true;
    const othersDuringConnects = await duringConnects;
    await new Promise((resolve) => setTimeout(resolve, 1000));

    let burstDone = false;
    const during = sendStatusEvery100ms(stage, others, () => burstDone);
    const cpuBefore = cpuMs(bot.pid!);
    const tappedAt = new Map<number, number>();
    for (const user of followers) {
      tappedAt.set(user.id, performance.now());
      stage.telegram.pressButton(user, stage.telegram.lastBotMessage(user.id), "connect:make-pair");
    }
    const tapToKey = await Promise.all(
      followers.map(async (user) => {
        const reply = await stage.telegram.nextBotMessage(user.id, 120_000);
        if (!String(reply.payload.text).includes("BEGIN PUBLIC KEY")) throw new Error("no public key in the reply");
        return reply.at - tappedAt.get(user.id)!;
      }),
    );
    burstDone = true;
    const cpuMsPerTap = (cpuMs(bot.pid!) - cpuBefore) / followerCount;
    return {
      tapToKey,
      othersIdle,
      othersDuringConnects,
      othersDuringBurst: await during,
      publicKeysShown: tapToKey.length,
      cpuMsPerTap,
    };
  } finally {
    await stage.stop();
  }
}

if (wanted("keygen")) measureKeygen(Number(values.samples));
if (wanted("signing")) await measureSigning(Number(values.requests));
if (wanted("burst")) {
  const followers = Number(values.followers);
  for (const poolSize of [Number(values.pool), 0]) {
    out(`\n${followers} followers tap "Make the key for me" at once; pool of ${poolSize} ready pairs:`);
    const figures = await measureBurst(followers, poolSize);
    out(`  tap → public key on screen: ${stats(figures.tapToKey)}; ${figures.publicKeysShown}/${followers} shown`);
    out(`  bot CPU per tap (all threads): ${round1(figures.cpuMsPerTap)} ms`);
    out(`  10 others' /status, idle bot:   ${stats(figures.othersIdle)}`);
    out(`  10 others' /status, during the /connect wave before it: ${stats(figures.othersDuringConnects)}`);
    out(`  10 others' /status, during the taps:  ${stats(figures.othersDuringBurst)}`);
  }
}
process.exit(0);
