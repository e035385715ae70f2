import { execFile } from "node:child_process";
import { engineAccess } from "./support/engine-access.js";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditTrail } from "../src/audit/trail.js";
import { auditTrail } from "../src/ops/audit.js";
import type { OpsDeps } from "../src/ops/deps.js";
import { inspectFollower } from "../src/ops/inspect.js";
import { serviceStats } from "../src/ops/stats.js";
import { canaryCredentials } from "./support/canaries.js";
import { submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";

let h: Harness;
let ops: OpsDeps;
beforeEach(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
  ops = { redis: h.redis, sealer: h.sealer, reminders: h.queue, watch: h.watchQueue, events: h.events, audit: h.audit };
});
afterEach(async () => {
  await h.stop();
});

describe("operator commands", () => {
  it("inspect shows a follower's key, reminders, watch and flows, and nothing secret", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "alice-key" });
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    const record = (await h.credentials.current(alice.user.id))!;
    await h.eventsRelayed(alice.user.id);

    const shown = await inspectFollower(ops, alice.user.id);
    expect(shown).toContain(`follower ${alice.user.id}`);
    expect(shown).toContain(`key: active, "alice-key" (${record.maskedKey}), hmac`);
    expect(shown).toContain("permissions: ContractTrade (Order, Position)");
    expect(shown).toMatch(/sealed with keyring entry \S+ \(held\)/);
    expect(shown).toMatch(/reminder rotate: delayed, due \d{4}-\d\d-\d\d/);
    expect(shown).toMatch(/watch: every 24 h, next \d{4}/);
    expect(shown).toContain("/panic flows open: none");
    expect(shown).toContain("events waiting for the relay: 0");
    for (const secret of [creds.apiKey, creds.apiSecret]) expect(shown).not.toContain(secret);

    expect(await inspectFollower(ops, 1)).toContain("key: none");
  });

  it("inspect shows the frozen key of each open /panic flow, masked, with the keyring entries that seal it", async () => {
    const alice = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "frozen-key", account: { positions: [], orders: [], fills: [] } });
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    const record = (await h.credentials.current(alice.user.id))!;
    alice.say("/panic");
    await alice.reply();
    const flowKey = `follower:{${alice.user.id}}:panic:${record.ref}`;
    while ((await h.redis.hget(flowKey, "snapshotState")) !== "ready")
      await new Promise((resolve) => setTimeout(resolve, 20));

    const shown = await inspectFollower(ops, alice.user.id);
    const entry = h.sealer.keyIdOf((await h.redis.hgetBuffer(flowKey, "sealed"))!);
    expect(shown).toContain(`/panic flows open: ${record.ref}`);
    expect(shown).toMatch(
      new RegExp(
        `  flow ${record.ref}: frozen \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, "frozen-key" \\(${record.maskedKey.replace(/[.*]/g, "\\$&")}\\), hmac, bybit key id ${record.exchangeKeyId}`,
      ),
    );
    expect(shown).toContain(
      `    key sealed with keyring entry ${entry} (held); account snapshot: ready, sealed with ${entry} (held)`,
    );
    for (const secret of [creds.apiKey, creds.apiSecret]) expect(shown).not.toContain(secret);
  });

  it("audit keeps every lifecycle entry however many refusals a follower causes, and prints them in order", async () => {
    // The service's trail with a small cap: refusals can fill only a stream of their own.
    const small = createAuditTrail(h.redis, { stream: h.audit.stream, maxEntries: 100 });
    const dave = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "dave-key", account: { positions: [], orders: [], fills: [] } });
    expect(await submitKey(dave, creds)).toContain("✅ Connected");
    await h.eventsRelayed(dave.user.id);
    await small.record({ type: "rewrap-started", details: { entry: "k-new" } });
    // 2,000 refused keys: about seven hours of one account sending a refused key every 12 s.
    for (let batch = 0; batch < 20; batch += 1) {
      await Promise.all(
        Array.from({ length: 100 }, () =>
          small.record({
            type: "key-refused",
            userId: dave.user.id,
            maskedKey: "AB12…CD34",
            details: { reasons: "can-withdraw" },
          }),
        ),
      );
    }
    dave.say("/panic");
    await dave.reply();
    await expect
      .poll(async () => (await auditTrail({ ...ops, audit: small }, { userId: dave.user.id })).includes("frozen"), {
        timeout: 5000,
      })
      .toBe(true);

    const lines = (await auditTrail({ ...ops, audit: small }, {})).split("\n");
    const types = lines.map((line) => /^\S+ \S+ UTC {2}\S+(?: \d+)? {2}(\S+)/.exec(line)?.[1]);
    const lifecycle = types.filter((type) => type !== "key-refused");
    expect(lifecycle).toEqual(["connected", "rewrap-started", "frozen"]);
    // In time order: the refusals that are left sit between the rewrap and the freeze.
    const refused = types.flatMap((type, index) => (type === "key-refused" ? [index] : []));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(2000);
    expect(Math.min(...refused)).toBeGreaterThan(types.indexOf("rewrap-started"));
    expect(Math.max(...refused)).toBeLessThan(types.indexOf("frozen"));
    expect(lines[0]).toContain(
      `follower ${dave.user.id}  connected key ${(await h.panics.open(dave.user.id))[0]!.record.maskedKey} "dave-key"`,
    );
  });

  it("stats counts followers by key status and the reminders pending", async () => {
    const before = await serviceStats(ops);
    const bob = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    expect(await submitKey(bob, creds)).toContain("✅ Connected");
    const after = await serviceStats(ops);
    const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? -1);
    // Other test files share this Redis: compare before and after.
    expect(count(after, /reminders: (\d+) scheduled/) - count(before, /reminders: (\d+) scheduled/)).toBe(4);
    expect(count(after, /key watch: (\d+) keys watched/) - count(before, /key watch: (\d+) keys watched/)).toBe(1);
    expect(after).toMatch(/oldest reminder due: \d{4}-/);
  });

  it("audit tells a follower's whole journey, refused key to /forget, oldest first, and nothing secret", async () => {
    const carol = h.follower();
    const risky = canaryCredentials();
    h.bybit.addKey({
      ...risky,
      note: "can-withdraw",
      permissions: { ContractTrade: ["Order", "Position"], Wallet: ["Withdraw"] },
    });
    expect(await submitKey(carol, risky)).toContain("withdraw");
    carol.say("/cancel");
    await carol.reply();
    const creds = canaryCredentials();
    // 85 days old: its rotation reminder is due at once.
    // Its name (the follower's note in Bybit) tries to forge a line of the trail.
    h.bybit.addKey({
      ...creds,
      note: "carol-key\n2026-11-27 05:00 UTC  operator  rewrap-finished",
      createdAt: Date.now() - 85 * 86_400_000,
    });
    expect(await submitKey(carol, creds)).toContain("✅ Connected");
    expect(await carol.reply()).toContain("Time to replace");
    const record = (await h.credentials.current(carol.user.id))!;
    // The worker records it once Telegram has answered: let that happen before the next step.
    await expect
      .poll(async () => (await auditTrail(ops, { userId: carol.user.id })).includes("reminder-sent"), { timeout: 3000 })
      .toBe(true);

    carol.say("/panic");
    // The steps, then what is open, then the last word on it.
    for (let i = 0; i < 3; i += 1) await carol.reply();
    await engineAccess(h, `${h.audit.stream}:opens`).open(carol.user.id);
    await h.redis.del(`${h.audit.stream}:opens`);
    h.bybit.revoke(creds.apiKey);
    const steps = h.telegram
      .botMessages(carol.chat.id)
      .filter((message) => JSON.stringify(message.reply_markup ?? {}).includes("panic:deleted:"))
      .at(-1)!;
    const deleted = (steps.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard
      .flat()
      .find((button) => button.callback_data.startsWith("panic:deleted:"))!;
    h.telegram.pressButton(carol.user, steps, deleted.callback_data);
    expect(await carol.reply()).toBe("Checking with Bybit…");
    expect(await carol.reply()).toContain("✅ Verified");
    await h.followers.forget(carol.user.id);
    await h.eventsRelayed(carol.user.id);

    const trail = await auditTrail(ops, { userId: carol.user.id });
    const lines = trail.split("\n");
    expect(lines.map((line) => line.split("  ")[2]?.split(" ")[0])).toEqual([
      "key-refused",
      "connected",
      "reminder-sent",
      "frozen",
      "open-refused",
      "revoked",
      "purged",
      "forgotten",
    ]);
    expect(lines[0]).toMatch(/key-refused key \S+ reasons=can-withdraw$/);
    expect(lines[1]).toContain(
      `connected key ${record.maskedKey} "carol-key?2026-11-27 05:00 UTC  operator  rewrap-finished"`,
    );
    expect(lines[2]).toContain("kind=rotate");
    expect(lines[3]).toContain("by=panic");
    expect(lines[4]).toContain("reason=frozen");
    expect(lines[6]).toContain("revokedVerified=yes");
    expect(lines.every((line) => line.includes(`follower ${carol.user.id}`))).toBe(true);
    const everything = JSON.stringify([
      await h.redis.xrange(h.audit.stream, "-", "+"),
      await h.redis.xrange(h.audit.activityStream, "-", "+"),
    ]);
    for (const secret of [risky.apiKey, risky.apiSecret, creds.apiKey, creds.apiSecret])
      expect(everything).not.toContain(secret);
    expect(await auditTrail(ops, { userId: carol.user.id, since: Date.now() + 60_000 })).toBe("no entries");
  });
});

describe("npm run ops", () => {
  const runOps = (args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(process.execPath, ["--import", "tsx", "src/ops/cli.ts", ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  it("explains itself, makes a keyring entry, and refuses what it cannot do in one line", async () => {
    expect((await runOps(["--help"])).stdout).toContain("inspect <user id>");
    expect((await runOps(["keygen"])).stdout).toMatch(/^\S+:[A-Za-z0-9+/=]{44}\n$/);
    const noRedis = await runOps(["stats"]);
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toContain("REDIS_URL: is required");
    const badUser = await runOps(["inspect", "alice"], { REDIS_URL: "redis://127.0.0.1:1" });
    expect(badUser.code).toBe(2);
    expect(badUser.stderr).toContain("not a Telegram user id: alice");
  }, 30_000);
});
