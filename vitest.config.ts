import { defineConfig } from "vitest/config";

/**
 * The suites that also run against a real local Redis Cluster (three masters): every script and
 * multi-key command of connect, /panic, reminders and shared keys keeps to one slot, and rewrap
 * walks every master. (panic-story reaches no script that panic and connect do not.)
 */
const ON_CLUSTER = [
  "test/connect.test.ts",
  "test/reminders.test.ts",
  "test/panic.test.ts",
  "test/rewrap.test.ts",
  "test/shared-keys.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Most suites wait on real processes, Redis and sockets, not the CPU: two files at once on a 2-core
    // machine take the suite from about 7 minutes to under 5 (vitest's default here is one). Four took it
    // under 3, but the load brought out races (a reminder sent twice in a throughput test, 1 run in 6):
    // not before those are understood.
    maxWorkers: 2,
    minWorkers: 1,
    // A worker runs file after file in one module graph, instead of a fresh process loading grammY, BullMQ,
    // ioredis and the service anew for each file (about 1.3 s of CPU a file). Safe because no test file
    // keeps state in a module: each starts its own harness, fakes, processes and Redis keys, and stops them.
    // Measured on 38 files: 118 s (106 s of CPU) isolated, 94 s (59 s of CPU) shared. Projects then run in turn.
    isolate: false,
    projects: [
      {
        extends: true,
        test: { name: "single", include: ["test/**/*.test.ts"], globalSetup: ["test/support/global-redis.ts"] },
      },
      {
        extends: true,
        test: { name: "cluster", include: ON_CLUSTER, globalSetup: ["test/support/global-cluster.ts"] },
      },
    ],
  },
});
