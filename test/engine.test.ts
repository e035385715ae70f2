import { RestClientV5 } from "bybit-api";
import { engineAccess } from "./support/engine-access.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startExampleEngine, type ExampleEngine, type KeyEvent } from "../examples/engine.js";
import { type KeyAccess } from "../src/engine/access.js";
import { canaryCredentials } from "./support/canaries.js";
import { makePairAndGetPublicKey, submitKey } from "./support/flows.js";
import { ORDER_LINK_ID_PREFIX, ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";
import { RedisMonitor } from "./support/redis-monitor.js";

let h: Harness;
let access: KeyAccess;
let engine: ExampleEngine;
let received: { event: KeyEvent; receivedAt: number }[];
beforeEach(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
  access = engineAccess(h);
  received = [];
  engine = await startExampleEngine({
    redis: h.redis,
    access,
    stream: h.events.stream,
    onEvent: (event) => received.push({ event, receivedAt: performance.now() }),
  });
});
afterEach(async () => {
  await engine.stop();
  await h.redis.del(`${h.events.stream}:audit`, `${h.events.stream}:opens`);
  await h.stop();
});

/** The follower's events as the engine received them, once there are `count` (or after 3 s). */
async function arrivals(follower: Follower, count: number) {
  const deadline = Date.now() + 3000;
  const mine = () => received.filter(({ event }) => event.userId === String(follower.user.id));
  while (mine().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return mine();
}
const eventsOf = async (follower: Follower, count: number) =>
  (await arrivals(follower, count)).map(({ event }) => event);

function pressPanicButton(follower: Follower, action: "deleted" | "forget"): void {
  const message = h.telegram
    .botMessages(follower.chat.id)
    .filter((sent) => JSON.stringify(sent.reply_markup ?? {}).includes(`panic:${action}:`))
    .at(-1)!;
  const data = (message.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard
    .flat()
    .find((button) => button.callback_data.startsWith(`panic:${action}:`))!.callback_data;
  h.telegram.pressButton(follower.user, message, data);
}

describe("the trading engine's side", () => {
  it("hears a whole journey in order, connect to purge, with who, which key and when, and never a secret", async () => {
    const alice = h.follower();
    const first = canaryCredentials();
    const second = canaryCredentials();
    h.bybit.addKey({ ...first, note: "first" });
    h.bybit.addKey({ ...second, note: "second" });
    expect(await submitKey(alice, first)).toContain("✅ Connected");
    const firstRecord = (await h.credentials.current(alice.user.id))!;
    expect(await submitKey(alice, second, "/rotate")).toContain("✅ Connected");
    const secondRecord = (await h.credentials.current(alice.user.id))!;
    alice.say("/panic");
    await alice.reply();
    expect(await alice.reply()).toContain("Now revoke the key in Bybit");
    h.bybit.revoke(second.apiKey);
    pressPanicButton(alice, "deleted");

    const events = await eventsOf(alice, 5);
    expect(events.map((event) => event.type)).toEqual(["connected", "rotated", "frozen", "revoked", "purged"]);
    expect(events[0]).toMatchObject({
      userId: String(alice.user.id),
      ref: firstRecord.ref,
      exchangeKeyId: firstRecord.exchangeKeyId,
      maskedKey: firstRecord.maskedKey,
      name: "first",
      keyType: "hmac",
    });
    expect(events[1]).toMatchObject({
      ref: secondRecord.ref,
      maskedKey: secondRecord.maskedKey,
      previousRef: firstRecord.ref,
      previousMaskedKey: firstRecord.maskedKey,
    });
    expect(events[2]).toMatchObject({ ref: secondRecord.ref, by: "panic" });
    expect(events[4]).toMatchObject({ ref: secondRecord.ref, revokedVerified: "yes" });
    const times = events.map((event) => Number(event.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.abs(times[0]! - Date.now())).toBeLessThan(60_000);
    const raw = JSON.stringify(await h.redis.xrange(h.events.stream, "-", "+"));
    for (const secret of [first.apiKey, first.apiSecret, second.apiKey, second.apiSecret])
      expect(raw).not.toContain(secret);
  });

  it("after /panic, refuses the engine's next open of the key, and the engine hears it within a second", async () => {
    const bob = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    expect(await submitKey(bob, creds)).toContain("✅ Connected");
    await eventsOf(bob, 1);
    const opened = await engine.clientFor(bob.user.id);
    expect(opened).toMatchObject({ ok: true, orderLinkIdPrefix: ORDER_LINK_ID_PREFIX });

    const sent = performance.now();
    bob.say("/panic");
    const [, frozen] = await arrivals(bob, 2);
    expect(frozen?.event.type).toBe("frozen");
    expect(frozen!.receivedAt - sent).toBeLessThan(1000);
    expect(engine.tradable.has(bob.user.id)).toBe(false);
    expect(await access.open(bob.user.id)).toEqual({ ok: false, reason: "frozen" });
    expect(await engine.clientFor(bob.user.id)).toEqual({ ok: false, reason: "frozen" });
  });

  it("opens an active key with what bybit-api needs, and refuses an expired or forgotten one, counting and auditing each", async () => {
    const carol = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    expect(await submitKey(carol, creds)).toContain("✅ Connected");
    const record = (await h.credentials.current(carol.user.id))!;
    expect(await access.open(carol.user.id)).toMatchObject({
      ok: true,
      client: { key: creds.apiKey, secret: creds.apiSecret },
      keyType: "hmac",
      facts: { ref: record.ref, maskedKey: record.maskedKey },
    });

    await h.credentials.setStatus(carol.user.id, record.ref, "expired");
    expect(await access.open(carol.user.id)).toEqual({ ok: false, reason: "expired" });
    carol.say("/forget");
    await carol.reply();
    h.telegram.pressButton(carol.user, h.telegram.lastBotMessage(carol.chat.id), `forget:${carol.user.id}`);
    await carol.reply();
    expect(await access.open(carol.user.id)).toEqual({ ok: false, reason: "no-key" });
    expect((await eventsOf(carol, 3)).map((event) => event.type)).toEqual(["connected", "expired", "forgotten"]);

    expect(await h.redis.hgetall(`${h.events.stream}:opens`)).toEqual({
      opened: "1",
      "refused:expired": "1",
      "refused:no-key": "1",
    });
    // The refusals in the audit trail's activity stream (an engine can cause them again and again).
    const refusals = (await h.redis.xrange(h.audit.activityStream, "-", "+"))
      .map(([, fields]) => fields.join(" "))
      .filter((entry) => entry.startsWith("type open-refused"));
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toContain(`userId ${carol.user.id} ref ${record.ref} maskedKey ${record.maskedKey}`);
    expect(refusals[0]).toContain("reason expired");
    expect(refusals[1]).toContain("reason no-key");
    expect(JSON.stringify(refusals)).not.toContain(creds.apiSecret);
  });

  it("opens a self-generated key too: its client signs with the private key, and Bybit accepts it", async () => {
    const erin = h.follower();
    const publicKey = await makePairAndGetPublicKey(h, erin);
    const key = h.bybit.createSelfGeneratedKey(publicKey);
    erin.say(key.apiKey);
    await erin.reply();
    expect(await erin.reply()).toContain("✅ Connected");
    const opened = await access.open(erin.user.id);
    if (!opened.ok) throw new Error(`refused: ${opened.reason}`);
    expect(opened.keyType).toBe("rsa");
    expect(opened.client.secret).toContain("PRIVATE KEY");
    const answer = await new RestClientV5({ ...opened.client, baseUrl: h.bybit.url }).getQueryApiKey();
    expect(answer.retCode).toBe(0);
  });

  it("writes every event in the very script that makes its change: no client ever writes an outbox", async () => {
    const dave = h.follower();
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    const monitor = await RedisMonitor.start(inject("redisUrl"));
    expect(await submitKey(dave, creds)).toContain("✅ Connected");
    dave.say("/panic");
    await dave.reply();
    await eventsOf(dave, 2);
    await monitor.caughtUp(h.redis);
    monitor.stop();
    const outboxWrites = monitor.commands().filter((line) => /"xadd" "follower:\{\d+\}:outbox"/i.test(line));
    expect(outboxWrites.length).toBeGreaterThanOrEqual(2);
    // Redis prints a command a script sends as coming from "lua": each event was part of its script.
    expect(outboxWrites.filter((line) => !line.includes("[0 lua]"))).toEqual([]);
  });
});
