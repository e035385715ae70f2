import { afterEach, describe, expect, it } from "vitest";
import { engineAccess } from "./support/engine-access.js";
import { canaryCredentials } from "./support/canaries.js";
import { submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";
import { useOwnRedis } from "./support/own-redis.js";

// Issue 21, defect 2: Redis at its memory limit, seen from the trading engine (found by an attack pass).
// A redis-server of this file's own: filling the shared one refused other files' writes (a flaky
// connect-any-key run, "our storage stumbled", under CI with two files at once).
const own = useOwnRedis();
let h: Harness;
afterEach(async () => {
  await h.redis.config("SET", "maxmemory", "0");
  await h.stop();
});

describe("the engine while Redis refuses writes", () => {
  it("opens an active key: the open counter is best effort, so copying goes on while Redis is full", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS, redisTarget: { url: own.url } });
    const access = engineAccess(h);
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    expect((await access.open(alice.user.id)).ok).toBe(true);

    await h.redis.config("SET", "maxmemory", "1");
    // Before: "OOM command not allowed" from the HINCRBY of the open counter, so no key opened.
    const opened = await access
      .open(alice.user.id)
      .catch((error: unknown) => ({ ok: false as const, error: String(error) }));
    expect(opened, JSON.stringify(opened)).toMatchObject({ ok: true });
  });
});
