import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { DAY_MS } from "../src/policy/key-policy.js";
import { canaryCredentials } from "./support/canaries.js";
import { GLOBAL_BYBIT } from "./support/fake-bybit.js";
import { startHarness, type Harness } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

const FOLLOWERS = 300;

describe("a reminder wave", () => {
  it(
    `delivers ${FOLLOWERS} due reminders once each under Telegram's 30 messages per second`,
    { timeout: 60_000 },
    async () => {
      h = await startHarness({ worker: false });
      h.telegram.limitMessages(30);
      const users = Array.from({ length: FOLLOWERS }, (_, index) => 9_000_000 + index);
      const createdAt = h.now - 85 * DAY_MS;
      for (const userId of users) {
        const record = await h.credentials.save(
          userId,
          canaryCredentials(),
          GLOBAL_BYBIT,
          {
            id: String(userId),
            name: "wave",
            readOnly: false,
            permissions: { ContractTrade: ["Order", "Position"] },
            ips: [],
            createdAt,
            expiresAt: createdAt + 90 * DAY_MS,
            unifiedAccount: true,
            rsaPublicKey: null,
          },
          h.now,
          0,
        );
        await h.reminders.schedule(record!);
        // Scheduling also has the key watch look at the key once a day, each key at its own moment: for
        // 300 keys one such moment falls within this test's seconds about one run in twenty, and a look
        // at a key the fake Bybit never issued tells its follower "deleted", a second message.
        await h.watch.unwatch(record!.ref);
      }

      const started = performance.now();
      h.startWorker();
      const delivered = await Promise.all(users.map((userId) => h.telegram.nextBotMessage(userId, 50_000)));
      const seconds = (performance.now() - started) / 1000;

      expect(delivered.every((call) => String(call.payload.text).startsWith("🔁 Time to replace"))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const userId of users) expect(h.telegram.botTexts(userId)).toHaveLength(1);
      process.stdout.write(
        `reminder wave: ${FOLLOWERS} delivered in ${seconds.toFixed(1)} s = ${(FOLLOWERS / seconds).toFixed(1)} per second, ${h.telegram.tooManyRequests} answered 429\n`,
      );
    },
  );
});
