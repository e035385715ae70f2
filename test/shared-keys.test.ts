import { randomUUID } from "node:crypto";
import { engineAccess } from "./support/engine-access.js";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedis } from "../src/infra/local-redis.js";
import { startReconciling } from "../src/jobs/reconcile.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { credentialKey, KeyHeldElsewhere, sealContext, type CredentialRecord } from "../src/stores/credential-store.js";
import { createKeyDenylist } from "../src/stores/denylist.js";
import { digestOf } from "../src/infra/key-fields.js";
import { createFollowerLanguages } from "../src/stores/follower-language.js";
import { CLAIM_FRESH_MS, createKeyHolders } from "../src/stores/key-holders.js";
import { createWatchFindings } from "../src/key-watch/findings.js";
import { canaryCredentials } from "./support/canaries.js";
import { tradeOnlyFacts, GLOBAL_BYBIT } from "./support/fake-bybit.js";
import { submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

type Creds = { apiKey: string; apiSecret: string };

/** A follower with the key connected through the bot. */
type Connected = { follower: Follower; record: CredentialRecord; creds: Creds };
async function connected(h: Harness, creds: Creds = canaryCredentials()): Promise<Connected> {
  const follower = h.follower();
  h.bybit.addKey({ ...creds, note: "shared-key" });
  expect(await submitKey(follower, creds)).toContain("✅ Connected");
  return { follower, record: (await h.credentials.current(follower.user.id))!, creds };
}

/**
 * Another follower's copy of the key, written straight into Redis as data from before the holder
 * index would hold it (sealed for them, active, nowhere in the index): what no connect lets in now.
 */
async function plantCopy(h: Harness, of: CredentialRecord, creds: Creds, to: Follower): Promise<CredentialRecord> {
  const userId = to.user.id;
  const { sealed: _sealed, ...fields } = await h.redis.hgetall(credentialKey(of.userId));
  const sealed = h.sealer.seal(Buffer.from(JSON.stringify(creds)), sealContext(userId, of));
  await h.redis.hset(credentialKey(userId), { ...fields, ref: randomUUID(), userId: String(userId), sealed });
  await h.reminders.schedule((await h.credentials.current(userId))!);
  return (await h.credentials.current(userId))!;
}

/** The follower's audit entries, each as its fields. */
async function auditOf(h: Harness, userId: number): Promise<Record<string, string>[]> {
  // Both streams: follower-caused entries (a refused key, a refused open) live in the activity stream.
  const main = await h.redis.xrange(h.audit.stream, "-", "+");
  const read = [...main, ...(await h.redis.xrange(h.audit.activityStream, "-", "+"))];
  const entries = read.map(([, fields]) => {
    const entry: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
    return entry;
  });
  return entries.filter((entry) => entry.userId === String(userId));
}

/** The engine's way in, counting apart from other tests. */
const accessOf = (h: Harness) => engineAccess(h);

const SHARED_WORDS = "already connected to another account here, so it has been shared or has leaked";
const TOLD_WORDS = "the same key was found in another account here, so it has been shared or has leaked";

describe("one Bybit key, one follower", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
  });
  afterEach(() => h.stop());

  it("refuses a key another follower connected, naming no one, and freezes the holder's copy: it has leaked", async () => {
    const { follower: alice, record, creds } = await connected(h);
    const access = accessOf(h);
    const bob = h.follower();
    const refusal = await submitKey(bob, creds);
    expect(refusal).toContain(SHARED_WORDS);
    expect(refusal).toContain("/panic");
    expect(refusal).toContain("Delete it in");
    expect(refusal).not.toContain(String(alice.user.id));
    expect(await h.credentials.current(bob.user.id)).toBeNull();
    // Bybit took that key and secret from Bob: whoever has them can trade. Alice's copy is out of use, and she hears why.
    expect(await h.credentials.current(alice.user.id)).toMatchObject({ ref: record.ref, status: "frozen" });
    expect(await access.open(alice.user.id)).toEqual({ ok: false, reason: "frozen" });
    const told = await alice.reply();
    expect(told).toContain(TOLD_WORDS);
    expect(told).not.toContain(String(bob.user.id));

    // In Russian too, and at /rotate: Boris's own key stays as it was.
    const { creds: carols } = await connected(h);
    const boris = h.follower({ languageCode: "ru" });
    const own = canaryCredentials();
    h.bybit.addKey({ ...own, note: "own" });
    boris.say("/connect");
    await boris.reply();
    boris.say(`${own.apiKey} ${own.apiSecret}`);
    await boris.reply();
    expect(await boris.reply()).toContain("✅");
    const before = (await h.credentials.current(boris.user.id))!;
    boris.say("/rotate");
    await boris.reply();
    boris.say(`${carols.apiKey} ${carols.apiSecret}`);
    await boris.reply();
    const rotated = await boris.reply();
    expect(rotated).toContain("им поделились или он утёк");
    expect(rotated).toContain("/panic");
    expect(await h.credentials.current(boris.user.id)).toMatchObject({ ref: before.ref, status: "active" });

    const counted = (await h.metrics.connects.get()).values.find((value) => value.labels.outcome === "shared-key");
    expect(counted?.value).toBe(2);
    expect((await auditOf(h, bob.user.id)).find((entry) => entry.type === "key-refused")?.reasons).toBe("shared-key");
  });

  it("lets the key go once its follower no longer holds it: after /disconnect another may connect it", async () => {
    const { follower: alice, record, creds } = await connected(h);
    // A claim older than a save can take, whose follower disconnected: it blocks no one.
    alice.say("/disconnect");
    await alice.reply();
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), `disconnect:${record.ref}`);
    expect(await alice.reply()).toContain("Disconnected");
    const bob = h.follower();
    expect(await submitKey(bob, creds)).toContain("✅ Connected");
  });

  it("never stores one key for two followers saving it at the same moment", async () => {
    for (let round = 0; round < 20; round += 1) {
      const facts = tradeOnlyFacts({ id: `race-${randomUUID()}`, name: "raced", expiresAt: null });
      const users = [h.follower().user.id, h.follower().user.id];
      const save = (userId: number) =>
        h.credentials.save(userId, canaryCredentials(), GLOBAL_BYBIT, facts, Date.now(), 0);
      const saves = await Promise.allSettled(users.map(save));
      const stored = saves.filter((save) => save.status === "fulfilled" && save.value !== null);
      expect(stored.length).toBeLessThanOrEqual(1);
      for (const save of saves) if (save.status === "rejected") expect(save.reason).toBeInstanceOf(KeyHeldElsewhere);
      const holds = async (userId: number) => (await h.credentials.current(userId))?.exchangeKeyId === facts.id;
      const holding = await Promise.all(users.map(holds));
      expect(holding.filter(Boolean).length).toBeLessThanOrEqual(1);
    }
  });

  it("two followers pasting one key at the same moment: at most one is connected, the other hears why", async () => {
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "pasted-twice" });
    const pair = [h.follower(), h.follower()];
    const verdicts = await Promise.all(pair.map((follower) => submitKey(follower, creds)));
    expect(verdicts.filter((verdict) => verdict.includes("✅ Connected")).length).toBeLessThanOrEqual(1);
    for (const verdict of verdicts) if (!verdict.includes("✅ Connected")) expect(verdict).toContain(SHARED_WORDS);
    const stored = await Promise.all(pair.map((follower) => h.credentials.current(follower.user.id)));
    expect(stored.filter(Boolean).length).toBeLessThanOrEqual(1);
  });

  it("a claim left by a crash before its save blocks others only while a save could still land", async () => {
    let now = Date.now();
    const holders = createKeyHolders(h.redis, () => now);
    const id = { exchange: "bybit", site: "global", exchangeKeyId: `crashed-${randomUUID()}` };
    const [crashed, next] = [h.follower().user.id, h.follower().user.id];
    expect(await holders.claim(crashed, id)).not.toBeNull();
    // Its save never came (the process died): fail closed while it still might.
    expect(await holders.claim(next, id)).toBeNull();
    now += CLAIM_FRESH_MS + 1;
    expect(await holders.claim(next, id)).not.toBeNull();
    expect(await holders.named(id)).toEqual([next]);
  });

  it("the engine refuses a key whose Bybit id is denied, whatever its slot says", async () => {
    const { follower, record } = await connected(h);
    const access = accessOf(h);
    expect((await access.open(follower.user.id)).ok).toBe(true);
    await createKeyDenylist(h.redis).add(record);
    expect(await access.open(follower.user.id)).toEqual({ ok: false, reason: "frozen" });
    const refused = (await auditOf(h, follower.user.id)).find((entry) => entry.type === "open-refused");
    expect(refused).toMatchObject({ reason: "frozen", why: "denied" });
    await h.redis.del(`${h.events.stream}:opens`);
  });

  it("the key watch freezes an active key whose Bybit id is denied, asking Bybit nothing, and tells its follower", async () => {
    const { follower, record } = await connected(h);
    await createKeyDenylist(h.redis).add(record);
    const asked = h.bybit.requests.length;
    await h.lookNow(record);
    expect((await h.credentials.current(follower.user.id))?.status).toBe("frozen");
    expect(h.bybit.requests.length).toBe(asked);
    expect(await follower.reply()).toContain(TOLD_WORDS);
    expect(await h.queue.getJob(`rotate-${record.ref}`)).toBeUndefined();
    expect(await h.watchQueue.getJobScheduler(`watch-${record.ref}`)).toBeUndefined();
  });

  it("/panic freezes every copy: one the index knows at once, old data at its watch's turn; each told once", async () => {
    const { follower: alice, record, creds } = await connected(h);
    const bob = h.follower({ languageCode: "ru" });
    const bobs = await plantCopy(h, record, creds, bob);
    await createFollowerLanguages(h.redis).remember(bob.user.id, "ru");
    const carol = h.follower();
    const carols = await plantCopy(h, record, creds, carol);
    // Bob's copy is in the index (as the reconciliation records old keys); Carol's is not.
    await createKeyHolders(h.redis).ensure(bob.user.id, record);
    const access = accessOf(h);
    expect((await access.open(carol.user.id)).ok).toBe(true);

    alice.say("/panic");
    expect(await alice.reply()).toContain("Frozen");
    const told = await bob.reply();
    expect(told).toContain("им поделились или он утёк");
    expect(told).toContain("/panic");
    const frozen = (await h.credentials.current(bob.user.id))!;
    expect(frozen.status).toBe("frozen");
    expect(await h.queue.getJob(`rotate-${bobs.ref}`)).toBeUndefined();
    await h.eventsRelayed(bob.user.id);
    const events = await h.redis.xrange(h.events.stream, "-", "+");
    const frozenEvent = ([, fields]: [string, string[]]) =>
      fields.includes("frozen") && fields.includes(String(bob.user.id)) && fields.includes("shared");
    expect(events.some(frozenEvent)).toBe(true);

    // Carol's copy, unknown to the index: the engine refuses it at once, and her key's watch freezes it.
    expect(await access.open(carol.user.id)).toEqual({ ok: false, reason: "frozen" });
    await h.lookNow(carols);
    expect((await h.credentials.current(carol.user.id))?.status).toBe("frozen");
    expect(await carol.reply()).toContain(TOLD_WORDS);
    // Told once: a later look says nothing more.
    await h.lookNow(carols);
    await h.lookNow(frozen);
    expect(carol.transcript().filter((text) => text.includes(TOLD_WORDS))).toHaveLength(1);
    expect(bob.transcript().filter((text) => text.includes("им поделились"))).toHaveLength(1);
    await h.redis.del(`${h.events.stream}:opens`);
  });
});

describe("one Bybit key, one follower: the reconciliation", () => {
  let server: LocalRedis;
  let h: Harness;
  beforeAll(async () => {
    // A redis-server of its own: a reconciliation reads every key in its Redis.
    server = await startLocalRedis();
  });
  afterAll(() => server.stop());
  beforeEach(async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS, redisTarget: { url: server.url } });
  });
  afterEach(() => h.stop());

  it("settles a duplicate from before the index: denied, both copies frozen, each follower told, holders indexed", async () => {
    const { follower: alice, record, creds } = await connected(h);
    const bob = h.follower();
    await plantCopy(h, record, creds, bob);
    // As old data: nothing in the index at all.
    await h.redis.del(`key-holders:{${digestOf(record)}}`);

    const prefix = `{reconcile-${randomUUID().slice(0, 8)}}`;
    const reconciling = startReconciling({
      credentials: h.credentials,
      reminders: h.reminders,
      redis: h.redis,
      prefix,
      logger: pino({ level: "silent" }),
      metrics: createMetrics(),
      tellUnreadable: async () => undefined,
      watch: { findings: createWatchFindings(h.redis), schedule: h.watch },
      sharedKeys: h.sharedKeys,
      everyMs: 60_000,
    });
    try {
      expect(await alice.reply(10_000)).toContain(TOLD_WORDS);
      expect(await bob.reply(10_000)).toContain(TOLD_WORDS);
    } finally {
      reconciling.stop();
    }
    expect((await h.credentials.current(alice.user.id))?.status).toBe("frozen");
    expect((await h.credentials.current(bob.user.id))?.status).toBe("frozen");
    expect(await createKeyDenylist(h.redis).has(record)).toBe(true);
    const named = await createKeyHolders(h.redis).named(record);
    expect(named.sort()).toEqual([alice.user.id, bob.user.id].sort());
    // Never again, for anyone.
    expect(await submitKey(h.follower(), creds)).toContain("I will never use it again");
  });
});
