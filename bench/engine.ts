// The trading engine's side, against the real service (src/main.ts, in a child process):
//   panics: N followers connect, then send /panic one after another; how long from each /panic
//           sent to Telegram until the example engine (examples/engine.ts, in this process)
//           received its "frozen" event: median and p99.
//   opens:  how many keys a second the access module opens (read, unseal, count), with K at once.
// Usage: npm run bench:engine [-- --panics 100 --opens 20000 --concurrency 16]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startExampleEngine, type KeyEvent } from "../examples/engine.js";
import { createKeyAccess } from "../src/engine/access.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "../test/support/canaries.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { median, percentile, round1, startStage } from "./support.js";

const { values } = parseArgs({
  options: {
    panics: { type: "string", default: "100" },
    opens: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "16" },
  },
});
const PANICS = Number(values.panics);

const stage = await startStage();
try {
  const sealKeys = generateKeyringEntry();
  await stage.startBot("src/main.ts", { SEAL_KEYS: sealKeys });
  const access = createKeyAccess({
    redis: stage.redis,
    sealer: createSealer(parseKeyring(sealKeys)),
    orderLinkIdPrefix: "copytrade-",
  });
  const arrivals = new Map<string, number>();
  const engine = await startExampleEngine({
    redis: stage.redis,
    access,
    onEvent: (event: KeyEvent) => arrivals.set(`${event.userId}:${event.type}`, performance.now()),
  });
  const waitFor = async (key: string) => {
    const deadline = performance.now() + 30_000;
    while (!arrivals.has(key) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    return arrivals.get(key);
  };

  const followers: FakeUser[] = Array.from({ length: PANICS }, (_, index) => ({
    id: 8_000_000 + index,
    is_bot: false,
    first_name: `F${index}`,
  }));
  for (const follower of followers) {
    const creds = canaryCredentials();
    stage.bybit.addKey(creds);
    stage.telegram.sendText(follower, "/connect");
    await stage.telegram.nextBotMessage(follower.id, 10_000);
    stage.telegram.sendText(follower, `${creds.apiKey} ${creds.apiSecret}`);
    await waitFor(`${follower.id}:connected`);
  }

  // Opens first, while every key is active.
  const opens = Number(values.opens);
  let next = 0;
  const openStarted = performance.now();
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async () => {
      while (next < opens) {
        const follower = followers[next++ % followers.length]!;
        if (!(await access.open(follower.id)).ok) throw new Error("an active key was refused");
      }
    }),
  );
  const opensPerSecond = opens / ((performance.now() - openStarted) / 1000);

  const delays: number[] = [];
  for (const follower of followers) {
    const sentAt = performance.now();
    stage.telegram.sendText(follower, "/panic");
    const heard = await waitFor(`${follower.id}:frozen`);
    if (heard !== undefined) delays.push(heard - sentAt);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await engine.stop();
  const sorted = [...delays].sort((a, b) => a - b);
  console.log(
    "engine",
    JSON.stringify({
      panics: PANICS,
      heard: delays.length,
      panicToEngineMedianMs: round1(median(sorted)),
      panicToEngineP99Ms: round1(percentile(sorted, 99)),
      opens,
      opensPerSecond: Math.round(opensPerSecond),
    }),
  );
} finally {
  await stage.stop();
}
