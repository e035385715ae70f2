import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort, startLocalRedis, type LocalRedis } from "../../src/infra/local-redis.js";

export interface LocalCluster {
  /** `host:port` of each master, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  stop(): Promise<void>;
}

/**
 * A real Redis Cluster on this machine: three masters (no replicas), each a `redis-server
 * --cluster-enabled yes` on a free port, joined and given all 16,384 slots by
 * `redis-cli --cluster create`. Ready when every node says `cluster_state:ok`.
 */
export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "redis-cluster-"));
  const servers: LocalRedis[] = [];
  try {
    for (let i = 0; i < masters; i += 1) {
      const port = await freePort();
      servers.push(
        await startLocalRedis({
          port,
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            join(dir, `nodes-${port}.conf`),
            "--cluster-node-timeout",
            "5000",
          ],
        }),
      );
    }
    const nodes = servers.map((server) => new URL(server.url).host);
    await promisify(execFile)("redis-cli", [
      "--cluster",
      "create",
      ...nodes,
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const node of nodes) await untilClusterOk(node);
    return {
      nodes,
      async stop() {
        await Promise.all(servers.map((server) => server.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function untilClusterOk(node: string): Promise<void> {
  const client = new Redis(`redis://${node}`);
  try {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if ((await client.cluster("INFO")).includes("cluster_state:ok")) return;
      await sleep(50);
    }
    throw new Error(`the cluster node ${node} did not reach cluster_state:ok`);
  } finally {
    client.disconnect();
  }
}
