import { afterEach, describe, expect, it } from "vitest";
import { createKeyAccess } from "../src/engine/access.js";
import { canaryCredentials } from "./support/canaries.js";
import { submitKey } from "./support/flows.js";
import { ORDER_LINK_ID_PREFIX, ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";

// ATTACK (issue 21, defect 2): Redis at its memory limit, seen from the trading engine.
let h: Harness;
afterEach(async () => {
  await h.redis.config("SET", "maxmemory", "0");
  await h.redis.del(`${h.events.stream}:opens`);
  await h.stop();
});

describe("ATTACK: the engine while Redis refuses writes", () => {
  it("ATTACK: open() of an active key throws OOM: every follower's copying stops while Redis is full", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const access = createKeyAccess({ redis: h.redis, sealer: h.sealer, orderLinkIdPrefix: ORDER_LINK_ID_PREFIX, audit: h.audit, openCounts: `${h.events.stream}:opens` });
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    expect((await access.open(alice.user.id)).ok).toBe(true);

    await h.redis.config("SET", "maxmemory", "1");
    // Observed: "OOM command not allowed when used memory > 'maxmemory'" from the HINCRBY of the open counter:
    // a read-only question (is this key active and not denied?) fails on a metric write, so no key opens.
    // Expected: the active key opens (the counter is best effort), as the /help and send paths were made to.
    const opened = await access.open(alice.user.id).catch((error: unknown) => ({ ok: false as const, error: String(error) }));
    expect(opened, JSON.stringify(opened)).toMatchObject({ ok: true });
  });
});
