// A key watch sweep at the default Bybit budget: the real service (src/main.ts, in a child
// process) with N keys connected, every one of them looked at now, out of its turn, while
// followers connect new keys one after another. Prints how long the sweep took, the most Bybit
// requests the fake saw in any 5-second window, and how long each /connect waited for its
// verdict (from the paste to "✅ Connected"), p50 and p99.
// Usage: npm run bench:watch [-- --keys 10000 --connects 40]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { createKeyWatchSchedule, KEY_WATCH_QUEUE, type WatchJob } from "../src/key-watch/worker.js";
import { DAY_MS } from "../src/policy/key-policy.js";
import { createCredentialStore } from "../src/stores/credential-store.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "../test/support/canaries.js";
import { tradeOnlyFacts, type BybitRequest, GLOBAL_BYBIT } from "../test/support/fake-bybit.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { percentile, round1, startStage } from "./support.js";

const { values } = parseArgs({
  options: { keys: { type: "string", default: "10000" }, connects: { type: "string", default: "40" } },
});
const KEYS = Number(values.keys);
const CONNECTS = Number(values.connects);
const QUERY_API = "/v5/user/query-api";

/** The most requests in any window of `windowMs`, over request times in ascending order. */
function busiestWindow(requests: readonly BybitRequest[], windowMs: number): number {
  let most = 0;
  for (let start = 0, end = 0; end < requests.length; end += 1) {
    while (requests[end]!.at - requests[start]!.at >= windowMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

const stage = await startStage();
try {
  const sealKeys = generateKeyringEntry();
  const credentials = createCredentialStore(stage.redis, createSealer(parseKeyring(sealKeys)));
  const now = Date.now();
  const watched = new Set<string>();
  const records: { userId: number; ref: string }[] = [];
  for (let i = 0; i < KEYS; i += 1) {
    const creds = canaryCredentials();
    const key = stage.bybit.addKey({ ...creds, createdAt: now - 10 * DAY_MS });
    const facts = tradeOnlyFacts({ id: key.id, name: key.note, createdAt: key.createdAt, expiresAt: key.expiredAt });
    records.push((await credentials.save(1_000_000 + i, creds, GLOBAL_BYBIT, facts, now, 0))!);
    watched.add(creds.apiKey);
  }
  console.error(`${KEYS} keys stored; starting the service`);
  await stage.startBot("src/main.ts", { SEAL_KEYS: sealKeys });

  const queue = new Queue<WatchJob>(KEY_WATCH_QUEUE, { connection: stage.redis, prefix: "{reminders}" });
  const swept = () =>
    new Set(
      stage.bybit.requests
        .filter((request) => request.path === QUERY_API && watched.has(request.apiKey ?? ""))
        .map((request) => request.apiKey),
    ).size;
  const sweepStarted = performance.now();
  await createKeyWatchSchedule(queue, DAY_MS).lookNow(records);

  // Followers connecting while the sweep runs, one every two seconds.
  const waits: number[] = [];
  const connecting = (async () => {
    for (let i = 0; i < CONNECTS; i += 1) {
      const follower: FakeUser = { id: 9_000_000 + i, is_bot: false, first_name: `F${i}` };
      const creds = canaryCredentials();
      stage.bybit.addKey(creds);
      void (async () => {
        stage.telegram.sendText(follower, "/connect");
        await stage.telegram.nextBotMessage(follower.id, 30_000);
        const pasted = performance.now();
        stage.telegram.sendText(follower, `${creds.apiKey} ${creds.apiSecret}`);
        for (;;) {
          const call = await stage.telegram.nextBotMessage(follower.id, 60_000);
          if (String(call.payload.text).includes("✅ Connected")) return waits.push(call.at - pasted);
        }
      })().catch((error: Error) => console.error(`connect ${i}: ${error.message}`));
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  })();

  while (swept() < KEYS) await new Promise((resolve) => setTimeout(resolve, 200));
  const sweepSeconds = (performance.now() - sweepStarted) / 1000;
  await connecting;
  await new Promise((resolve) => setTimeout(resolve, 5000));
  await queue.close();
  const sorted = [...waits].sort((a, b) => a - b);
  console.log(
    "watch",
    JSON.stringify({
      keys: KEYS,
      sweepSeconds: round1(sweepSeconds),
      keysPerSecond: round1(KEYS / sweepSeconds),
      busiest5sWindow: busiestWindow(stage.bybit.requests, 5000),
      connectsConfirmed: `${waits.length}/${CONNECTS}`,
      connectP50Ms: round1(percentile(sorted, 50)),
      connectP99Ms: round1(percentile(sorted, 99)),
    }),
  );
} finally {
  await stage.stop();
}
