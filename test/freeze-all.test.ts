import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { followerKeys } from "../src/infra/redis-keys.js";
import { createCredentialStore } from "../src/stores/credential-store.js";
import { GLOBAL_BYBIT, tradeOnlyFacts } from "./support/fake-bybit.js";
import { canaryCredentials } from "./support/canaries.js";
import { engineAccess } from "./support/engine-access.js";
import { repliesUntil } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";
import { useOwnRedis } from "./support/own-redis.js";

// Issue 25: `npm run ops -- freeze-all` through the real command, beside a running bot. A redis-server
// of this file's own: the command freezes every key in its Redis.
const own = useOwnRedis();
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redisTarget: { url: own.url }, telegramLimits: ROOMY_CHATS });
});
afterAll(() => h.stop());

/** `npm run ops -- freeze-all …` as an operator runs it against this Redis; `kill` ends it when it says so. */
function ops(
  args: string[],
  kill?: () => Promise<boolean>,
): Promise<{ code: number | null; out: string; err: string }> {
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, SEAL_KEYS: _keys, NODE_ENV: _env, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", "src/ops/cli.ts", ...args], {
    env: { ...inherited, REDIS_URL: own.url, USER: "operator-ann" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  if (kill) {
    const watch = setInterval(() => {
      void kill().then((now) => {
        if (now && child.exitCode === null) child.kill("SIGKILL");
      });
    }, 5);
    child.once("exit", () => clearInterval(watch));
  }
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out, err })));
}

async function connected(follower: Follower, site = "global") {
  const creds = canaryCredentials();
  h.bybitSites.site(site).addKey(creds);
  follower.say("/connect");
  await follower.reply();
  follower.say(`${creds.apiKey} ${creds.apiSecret}`);
  await repliesUntil(follower, "✅");
  return { follower, creds, record: (await h.credentials.current(follower.user.id))! };
}

describe("npm run ops -- freeze-all", () => {
  it("takes every key out of use, freezes and denies each, and tells each follower once, in their language", async () => {
    const access = engineAccess(h);
    const alice = await connected(h.follower());
    const boris = await connected(h.follower({ languageCode: "ru" }));
    const carol = await connected(h.follower(), "tr");
    const dave = h.follower();
    for (const { follower } of [alice, boris, carol]) expect((await access.open(follower.user.id)).ok).toBe(true);

    // Without a terminal and without --yes, nothing is frozen.
    const refused = await ops(["freeze-all"]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("add --yes");
    expect((await access.open(alice.follower.user.id)).ok).toBe(true);

    const run = await ops(["freeze-all", "--yes", "--reason", "Our server was breached <today>."]);
    expect(run.code).toBe(0);
    expect(run.out).toContain("Frozen now: 3");
    expect(run.out).toContain("Every follower with a key was told (3).");
    for (const { follower, record } of [alice, boris, carol]) {
      expect(await access.open(follower.user.id)).toEqual({ ok: false, reason: "frozen" });
      const events = await h.redis.xrange(followerKeys(follower.user.id).outbox, "-", "+");
      expect(events.map(([, fields]) => fields.join(" "))).toContainEqual(
        expect.stringMatching(new RegExp(`^type frozen .* ref ${record.ref} .* by incident`)),
      );
    }

    const english = await repliesUntil(alice.follower, "Now revoke the key in Bybit");
    expect(english.at(-1)).toContain("⚠️ Our server was breached &lt;today&gt;. To keep your account safe, I froze");
    expect(english.at(-1)).toContain(alice.record.maskedKey);
    const russian = await repliesUntil(boris.follower, "Bybit → API Management");
    expect(russian.at(-1)).toContain("я заморозил ваш ключ");
    const turkish = await repliesUntil(carol.follower, "API Management");
    expect(turkish.at(-1)).toContain('<a href="https://www.bybit.tr/app/user/api-management">Bybit Turkey');
    expect(h.telegram.botMessages(dave.chat.id)).toEqual([]);

    // Run again: resumed, nothing frozen again, nobody told twice.
    const again = await ops(["freeze-all", "--yes"]);
    expect(again.out).toContain("Resumed the incident");
    expect(again.out).toContain("Frozen now: 0");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const { follower } of [alice, boris, carol])
      expect(h.telegram.botMessages(follower.chat.id).filter((m) => String(m.text).includes("⚠️"))).toHaveLength(1);

    // The notice's button checks with Bybit, as /panic's does; a new key works as ever.
    h.bybit.revoke(alice.creds.apiKey);
    const notice = h.telegram.botMessages(alice.follower.chat.id).find((m) => String(m.text).includes("⚠️"))!;
    const data = JSON.stringify(notice.reply_markup).match(/panic:deleted:[\w-]+/)![0];
    h.telegram.pressButton(alice.follower.user, notice, data);
    await repliesUntil(alice.follower, "✅ Verified");
    await repliesUntil(alice.follower, "What to do next");
    const stats = await ops(["stats"]);
    expect(stats.out).toMatch(
      /incident \(freeze-all\) of .* by operator-ann: 3 keys frozen, 3 followers told, 0 could not be reached, 0 notices/,
    );
    expect(stats.out).toContain("deleted in Bybit, confirmed: 1; still to delete (flow open): 2;");
    const fresh = canaryCredentials();
    h.bybit.addKey(fresh);
    alice.follower.say("/connect");
    await repliesUntil(alice.follower, "Let’s connect");
    alice.follower.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    await repliesUntil(alice.follower, "✅ Connected");
    expect((await access.open(alice.follower.user.id)).ok).toBe(true);
    const audit = (await h.redis.xrange("{audit}:stream", "-", "+")).map(([, fields]) => fields.join(" "));
    expect(audit).toContainEqual(expect.stringMatching(/freeze-all-swept.*operator-ann/));
  }, 60_000);

  it("killed mid-sweep and run again, freezes every key and tells each follower exactly once", async () => {
    await h.redis.del("{incident}:state", "{incident}:frozen", "{incident}:notices");
    const store = createCredentialStore(h.redis, h.sealer);
    const followers = Array.from({ length: 120 }, () => h.follower());
    for (const [index, follower] of followers.entries()) {
      const facts = tradeOnlyFacts({ id: `incident-${index}-${randomUUID()}`, name: `key ${index}` });
      await store.save(follower.user.id, canaryCredentials(), GLOBAL_BYBIT, facts, Date.now(), 0);
    }
    // kill -9 once the sweep has frozen some keys, well before all.
    const killed = await ops(["freeze-all", "--yes"], async () => (await h.redis.scard("{incident}:frozen")) >= 20);
    expect(killed.code).toBeNull();
    expect(await h.redis.scard("{incident}:frozen")).toBeLessThan(120);
    const resumed = await ops(["freeze-all", "--yes"]);
    expect(resumed.out).toContain("Resumed the incident");
    expect(resumed.out).toContain("Every follower with a key was told");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const access = engineAccess(h);
    for (const follower of followers) {
      const notices = h.telegram.botMessages(follower.chat.id).filter((m) => String(m.text).includes("⚠️"));
      expect(notices, String(follower.user.id)).toHaveLength(1);
      expect(await access.open(follower.user.id)).toEqual({ ok: false, reason: "frozen" });
    }
  }, 90_000);
});

describe("freeze-all, a second breach after the first", () => {
  it("a later run says how to freeze the keys connected since, and --new freezes them", async () => {
    await h.redis.del("{incident}:state", "{incident}:frozen", "{incident}:notices");
    const store = createCredentialStore(h.redis, h.sealer);
    const save = (follower: Follower, name: string) =>
      store.save(follower.user.id, canaryCredentials(), GLOBAL_BYBIT, tradeOnlyFacts({ id: randomUUID(), name }), 0, 0);
    const [first, later] = [h.follower(), h.follower()];
    await save(first, "before the first");
    expect((await ops(["freeze-all", "--yes"])).out).toContain("Every follower with a key was told");
    await save(later, "connected since");
    const access = engineAccess(h);
    expect((await access.open(later.user.id)).ok).toBe(true);

    // Months later, breached again: the operator runs the same command.
    const again = await ops(["freeze-all", "--yes", "--reason", "Breached again."]);
    expect(again.out).toContain("Resumed the incident");
    expect(again.out).toContain("Keys connected since then are in use: to freeze them too, run freeze-all --new");
    expect((await access.open(later.user.id)).ok).toBe(true);

    const second = await ops(["freeze-all", "--yes", "--new", "--reason", "Breached again."]);
    expect(second.code).toBe(0);
    expect(second.out).toContain("Frozen now: 1");
    expect(await access.open(later.user.id)).toEqual({ ok: false, reason: "frozen" });
    expect((await repliesUntil(later, "Now revoke the key in Bybit")).at(-1)).toContain("⚠️ Breached again.");
    const notices = (follower: Follower) =>
      h.telegram.botMessages(follower.chat.id).filter((m) => String(m.text).includes("⚠️"));
    expect(notices(first)).toHaveLength(1);
  }, 60_000);

  it("a --reason too long to send is cut whole characters at a time, and the operator is told", async () => {
    const store = createCredentialStore(h.redis, h.sealer);
    const follower = h.follower();
    const facts = tradeOnlyFacts({ id: randomUUID(), name: "long reason" });
    await store.save(follower.user.id, canaryCredentials(), GLOBAL_BYBIT, facts, 0, 0);
    const reason = `${"a".repeat(499)}🔥 and the rest of a long story`;
    const run = await ops(["freeze-all", "--yes", "--new", "--reason", reason]);
    expect(run.out).toContain("--reason is 529 characters: cut to 500 for the followers.");
    const notice = (await repliesUntil(follower, "Now revoke the key in Bybit")).at(-1)!;
    expect(notice).toContain(`⚠️ ${"a".repeat(499)}… To keep your account safe`);
    expect(notice).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  }, 60_000);

  it("a follower who blocked the bot is not counted as told: the operator learns whom to chase", async () => {
    const store = createCredentialStore(h.redis, h.sealer);
    const [told, blocked] = [h.follower(), h.follower()];
    for (const follower of [told, blocked]) {
      const facts = tradeOnlyFacts({ id: randomUUID(), name: "blocked or not" });
      await store.save(follower.user.id, canaryCredentials(), GLOBAL_BYBIT, facts, 0, 0);
    }
    h.telegram.blockBot(blocked.chat.id);
    const run = await ops(["freeze-all", "--yes", "--new"]);
    expect(run.out).toContain(
      "Every notice is out: 1 follower told; 1 could not be reached (blocked the bot, or never started it)",
    );
    const stats = await ops(["stats"]);
    expect(stats.out).toMatch(/2 keys frozen, 1 followers told, 1 could not be reached, 0 notices still owed/);
  }, 60_000);

  it("Redis at its memory limit: one line saying what holds and what to do, then a run that finishes", async () => {
    await h.redis.del("{incident}:state", "{incident}:frozen", "{incident}:notices", "{incident}:unreachable");
    const follower = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    follower.say("/connect");
    await follower.reply();
    follower.say(`${creds.apiKey} ${creds.apiSecret}`);
    await repliesUntil(follower, "✅ Connected");
    await own.redis.config("SET", "maxmemory", "1");
    let full: Awaited<ReturnType<typeof ops>>;
    try {
      full = await ops(["freeze-all", "--yes"]);
    } finally {
      await own.redis.config("SET", "maxmemory", "0");
    }
    expect(full.code).toBe(1);
    expect(full.err).toContain("is at its memory limit and refuses writes: nothing more could be frozen");
    expect(full.err).toContain("run freeze-all again to finish");
    expect(full.err.trim().split("\n")).toHaveLength(1);
    const after = await ops(["freeze-all", "--yes"]);
    expect(after.out).toContain("Every follower with a key was told (1).");
    expect(await engineAccess(h).open(follower.user.id)).toEqual({ ok: false, reason: "frozen" });
  }, 60_000);
});
