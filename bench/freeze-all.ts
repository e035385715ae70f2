// The operator's worst day: N followers (10,000 by default) with keys, the real bot running
// (src/main.ts, Telegram paced at TELEGRAM_MESSAGES_PER_SECOND=30, what the fake Bot API
// allows), and `npm run ops -- freeze-all --yes` run against them. Prints, from the command's start:
//   every key out of use: the engine's access module refuses a sample of 200 followers' keys
//   every key frozen: the sweep has moved every key into a flow of its own
//   every follower told: the fake Telegram has received N notices (and how many were sent twice)
// Usage: npm run bench:freeze-all [-- --followers 10000 --rate 30]
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { createKeyAccess } from "../src/engine/access.js";
import { createCredentialStore } from "../src/stores/credential-store.js";
import { parseKeyring, generateKeyringEntry } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "../test/support/canaries.js";
import { GLOBAL_BYBIT, tradeOnlyFacts } from "../test/support/fake-bybit.js";
import { round1, startStage } from "./support.js";

const { values } = parseArgs({
  options: { followers: { type: "string", default: "10000" }, rate: { type: "string", default: "30" } },
});
const FOLLOWERS = Number(values.followers);
const sealKeys = generateKeyringEntry();
const stage = await startStage();
const sealer = createSealer(parseKeyring(sealKeys));
try {
  const store = createCredentialStore(stage.redis, sealer);
  const userIds: number[] = [];
  for (let index = 0; index < FOLLOWERS; index += 1) {
    const userId = 700_000_000 + index;
    const facts = tradeOnlyFacts({ id: `bench-${randomUUID()}`, name: `key ${index}` });
    await store.save(userId, canaryCredentials(), GLOBAL_BYBIT, facts, Date.now(), 0);
    userIds.push(userId);
  }
  process.stderr.write(`${FOLLOWERS} keys stored; starting the bot\n`);
  await stage.startBot("src/main.ts", {
    SEAL_KEYS: sealKeys,
    TELEGRAM_MESSAGES_PER_SECOND: values.rate,
    KEY_PAIR_POOL_SIZE: "0",
  });
  const access = createKeyAccess({ redis: stage.redis, sealer, orderLinkIdPrefix: "copytrade-" });
  const sample = Array.from(
    { length: Math.min(200, FOLLOWERS) },
    (_, index) => userIds[index * Math.floor(FOLLOWERS / 200 || 1)]!,
  );

  const startedAt = performance.now();
  const command = spawn(process.execPath, ["--import", "tsx", "src/ops/cli.ts", "freeze-all", "--yes"], {
    env: { ...process.env, REDIS_URL: stage.redisUrl, NODE_ENV: "production", SEAL_KEYS: sealKeys },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const seconds = () => round1((performance.now() - startedAt) / 1000);
  let outOfUse: number | null = null;
  let frozen: number | null = null;
  const notices = () =>
    stage.telegram.callsOf("sendMessage").filter((call) => String(call.payload.text).includes("⚠️"));
  for (;;) {
    if (outOfUse === null) {
      const opened = await Promise.all(sample.map((userId) => access.open(userId)));
      if (opened.every((answer) => !answer.ok)) outOfUse = seconds();
    }
    if (frozen === null && (await stage.redis.scard("{incident}:frozen")) >= FOLLOWERS) frozen = seconds();
    const told = new Set(notices().map((call) => call.payload.chat_id)).size;
    if (told >= FOLLOWERS) break;
    if (seconds() > 900) throw new Error(`only ${told} of ${FOLLOWERS} told after 15 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const allTold = seconds();
  const sent = notices().length;
  command.kill();
  console.table({
    [`${FOLLOWERS} followers, Telegram at ${values.rate}/s`]: {
      "every key out of use (s)": outOfUse,
      "every key frozen (s)": frozen,
      "every follower told (s)": allTold,
      "notices sent twice": sent - FOLLOWERS,
    },
  });
} finally {
  await stage.stop();
}
