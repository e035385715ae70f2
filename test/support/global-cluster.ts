import type { TestProject } from "vitest/node";
import { startLocalCluster } from "./redis-cluster.js";

/** The "cluster" project: the same suites, against a real local Redis Cluster of three masters. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startLocalCluster();
  project.provide("redisTarget", { clusterNodes: cluster.nodes });
  // No single server here: a test that asks for one does not belong in this project.
  project.provide("redisUrl", "redis://cluster-project-has-no-single-server.invalid:1");
  return () => cluster.stop();
}
