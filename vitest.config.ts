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
