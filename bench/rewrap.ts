// npm run bench:rewrap — how fast `npm run ops -- rewrap` re-seals stored keys: 10,000 followers'
// keys sealed with an old keyring entry (plus a panic snapshot for one in ten, as a busy service
// has), on one redis-server and on a local Redis Cluster of three masters. Runs the real command
// and reads its own "records/s" line; checks that afterwards no record is sealed with the old entry.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startLocalRedis } from "../src/infra/local-redis.js";
import { redisClient, type RedisClient, type RedisTarget } from "../src/infra/redis.js";
import { DAY_MS } from "../src/policy/key-policy.js";
import { createCredentialStore } from "../src/stores/credential-store.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "../test/support/canaries.js";
import { tradeOnlyFacts, GLOBAL_BYBIT } from "../test/support/fake-bybit.js";
import { startLocalCluster } from "../test/support/redis-cluster.js";

const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const oldEntry = generateKeyringEntry();
const newEntry = generateKeyringEntry();

async function seed(redis: RedisClient): Promise<void> {
  const store = createCredentialStore(redis, createSealer(parseKeyring(oldEntry)));
  const createdAt = Date.now() - 10 * DAY_MS;
  for (let start = 0; start < KEYS; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, KEYS - start) }, (_, i) => {
        const facts = tradeOnlyFacts({ id: `id-${start + i}`, name: `key ${start + i}`, createdAt });
        return store.save(1_000_000 + start + i, canaryCredentials(), GLOBAL_BYBIT, facts, Date.now(), 0);
      }),
    );
  }
}

async function measure(name: string, target: RedisTarget): Promise<void> {
  const redis = redisClient(target);
  await seed(redis);
  redis.disconnect();
  const env = {
    PATH: process.env.PATH ?? "",
    SEAL_KEYS: `${newEntry},${oldEntry}`,
    ...("url" in target ? { REDIS_URL: target.url } : { REDIS_CLUSTER_NODES: target.clusterNodes.join(",") }),
  };
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/ops/cli.ts", "rewrap"], {
    env,
  });
  const rate = /re-sealed with "[^"]+": ([\d,]+) records in ([\d.]+) s \(([\d,]+) records\/s\)/.exec(stdout);
  const clean = /No record is sealed with an older entry/.test(stdout);
  console.log(
    `${name}: ${rate ? `${rate[1]} records re-sealed in ${rate[2]} s, ${rate[3]} records/s` : "no rate printed"}; old entry retired-ready: ${clean ? "yes" : "NO"}`,
  );
  if (!rate || !clean) console.log(stdout);
}

const single = await startLocalRedis();
await measure(`one redis-server, ${KEYS.toLocaleString("en-US")} keys`, { url: single.url });
await single.stop();
const cluster = await startLocalCluster();
await measure(`Redis Cluster (3 masters), ${KEYS.toLocaleString("en-US")} keys`, { clusterNodes: cluster.nodes });
await cluster.stop();
