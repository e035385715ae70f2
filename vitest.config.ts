import { defineConfig } from "vitest/config";

/** The suites that also run against a real local Redis Cluster (three masters). */
const ON_CLUSTER = [
  "test/connect.test.ts",
  "test/reminders.test.ts",
  "test/panic.test.ts",
  "test/panic-story.test.ts",
  "test/rewrap.test.ts",
  "test/shared-keys.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Most suites wait on real processes, Redis and sockets, not the CPU: four files at once on a 2-core
    // machine take the suite from about 7 minutes to under 3 (vitest's default here would be one).
    maxWorkers: 4,
    minWorkers: 1,
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
