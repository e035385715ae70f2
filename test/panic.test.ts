import { afterAll, afterEach, describe, expect, it } from "vitest";
import { reminderJobId } from "../src/reminders/schedule.js";
import { DAY_MS } from "../src/policy/key-policy.js";
import type { CredentialRecord } from "../src/stores/credential-store.js";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeAccount, FakeFill, FakeOrder, FakePosition } from "./support/fake-bybit.js";
import type { FakeMessage, FakeUser } from "./support/fake-telegram.js";
import { submitKey, forgetNow } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

/** Time from Telegram handing /panic to the bot until the bot's first reply reached Telegram, per run. */
const firstReplyMs: number[] = [];
afterAll(() => {
  const sorted = [...firstReplyMs].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  process.stdout.write(
    `/panic first reply: median ${median?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms over ${sorted.length} runs\n`,
  );
});

const position = (index: number, extra: Partial<FakePosition> = {}): FakePosition => ({
  category: "linear",
  settleCoin: "USDT",
  symbol: `COIN${index}USDT`,
  side: index % 2 ? "Sell" : "Buy",
  size: "1.5",
  avgPrice: "100.5",
  markPrice: "101",
  unrealisedPnl: "0.75",
  leverage: "5",
  liqPrice: "80.2",
  ...extra,
});
const order = (index: number, extra: Partial<FakeOrder> = {}): FakeOrder => ({
  category: "linear",
  settleCoin: "USDT",
  symbol: `ORD${index}USDT`,
  side: "Buy",
  orderType: "Limit",
  price: "99",
  qty: "2",
  orderLinkId: `copytrade-${index}`,
  ...extra,
});
const fill = (index: number, orderLinkId: string): FakeFill => ({
  category: "linear",
  symbol: `FILL${index}USDT`,
  side: "Sell",
  execQty: "0.1",
  execPrice: "64000",
  execTime: Date.now() - (index % 6) * DAY_MS - 60_000,
  orderLinkId,
});

async function connectedWith(account: Partial<FakeAccount> = {}) {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
  const alice = h.follower();
  const creds = canaryCredentials();
  h.bybit.addKey({ ...creds, note: "leaky-key", account: { positions: [], orders: [], fills: [], ...account } });
  expect(await submitKey(alice, creds)).toContain("✅ Connected");
  const record = (await h.credentials.current(alice.user.id))!;
  return { alice, creds, record };
}

/** Sends /panic and returns the first reply, recording how long it took. */
async function panic(follower: Follower): Promise<string> {
  const command = follower.say("/panic");
  const reply = await h.telegram.nextBotMessage(follower.chat.id);
  firstReplyMs.push(reply.at - h.telegram.takenAtOf(command)!);
  return String(reply.payload.text);
}

async function replies(follower: Follower, count: number): Promise<string[]> {
  const texts: string[] = [];
  for (let index = 0; index < count; index += 1) texts.push(await follower.reply());
  return texts;
}

/** The callback data of a /panic button on a message. */
function buttonData(message: FakeMessage, action: "deleted" | "forget"): string {
  const keyboard = (message.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard.flat();
  return keyboard.find((button) => button.callback_data.startsWith(`panic:${action}:`))!.callback_data;
}

/** The last message of the bot that carries the panic buttons (the snapshot report may have come after it). */
function stepsMessage(follower: Follower): FakeMessage {
  const sent = h.telegram
    .botMessages(follower.chat.id)
    .filter((message) => JSON.stringify(message.reply_markup ?? {}).includes("panic:"));
  return sent.at(-1)!;
}

const press = (follower: Follower, action: "deleted" | "forget") => {
  const message = stepsMessage(follower);
  h.telegram.pressButton(follower.user, message, buttonData(message, action));
};

/** Presses a button and returns the text of the answer to that press (the toast the presser sees). */
async function pressForAnswer(user: FakeUser, message: FakeMessage, data: string): Promise<unknown> {
  const answered = h.telegram.callsOf("answerCallbackQuery").length;
  h.telegram.pressButton(user, message, data);
  await h.telegram.waitForCall(() => h.telegram.callsOf("answerCallbackQuery").length > answered);
  return h.telegram.callsOf("answerCallbackQuery")[answered]?.payload.text;
}

async function expectPurged(follower: Follower, record: CredentialRecord, revokedVerified: boolean): Promise<void> {
  await h.eventsRelayed(follower.user.id);
  const left = (await h.keysMatching(`follower:{${follower.user.id}}:*`)).sort();
  // The outbox stays, empty, once its events are moved on: it keeps the last event id.
  expect(left).toEqual([
    `follower:{${follower.user.id}}:outbox`,
    `follower:{${follower.user.id}}:panic-epoch`,
    `follower:{${follower.user.id}}:revoked-key`,
  ]);
  expect(await h.panics.revocation(follower.user.id)).toEqual({
    keyName: "leaky-key",
    maskedKey: record.maskedKey,
    frozenAt: h.now,
    revokedVerified,
  });
  expect(await h.queue.getJob(reminderJobId("expiry", record.ref))).toBeUndefined();
}

describe("/panic", () => {
  it("freezes the key, drops its reminders and shows the revoke steps before asking Bybit anything", async () => {
    const { alice, record } = await connectedWith({ positions: [position(1)] });
    const seenByBybit: { slot?: unknown; frozen?: string; reminders?: boolean; steps?: boolean }[] = [];
    h.bybit.beforeAnswer = async () => {
      seenByBybit.push({
        slot: await h.credentials.current(alice.user.id),
        frozen: (await h.panics.flow(alice.user.id, record.ref))?.record.status,
        reminders: (await h.queue.getJob(reminderJobId("rotate", record.ref))) !== undefined,
        steps: alice.transcript().some((text) => text.includes("Now revoke the key in Bybit")),
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const bybitCallsBefore = h.bybit.requests.length;
    expect(await panic(alice)).toContain("🧊 Frozen: I no longer use the key “leaky-key”");
    const stepsText = await alice.reply();
    expect(stepsText).toContain("Now revoke the key in Bybit");
    expect(stepsText).toContain('<a href="https://www.bybit.com/app/user/api-management">Bybit → API Management</a>');
    expect(await alice.reply()).toContain(
      "📸 Read while the key still worked: 1 open position, 0 open orders, 0 fills",
    );

    const snapshotCalls = h.bybit.requests.slice(bybitCallsBefore);
    expect(snapshotCalls.length).toBeGreaterThan(0);
    expect(seenByBybit[0]).toEqual({ slot: null, frozen: "frozen", reminders: false, steps: true });
    const stepsCall = h.telegram
      .callsOf("sendMessage")
      .find((call) => String(call.payload.text).includes("Now revoke the key"))!;
    expect(stepsCall.at).toBeLessThan(snapshotCalls[0]!.at);
  });

  it("verifies the revocation only once Bybit refuses the key, then purges it and reviews what stays open", async () => {
    const { alice, creds, record } = await connectedWith({
      positions: [position(1), position(2, { category: "inverse", settleCoin: undefined, symbol: "BTCUSD" })],
      orders: [order(1)],
      fills: [fill(1, "copytrade-abc"), fill(2, ""), fill(3, "someone-else")],
    });
    await panic(alice);
    expect(await alice.reply()).toContain("Now revoke the key in Bybit");
    expect(await alice.reply()).toContain(
      "📸 Read while the key still worked: 2 open positions, 1 open order, 2 fills",
    );

    press(alice, "deleted");
    const [checking, stillActive, stepsAgain] = await replies(alice, 3);
    expect(checking).toBe("Checking with Bybit…");
    expect(stillActive).toContain("⚠️ Bybit still accepts the key “leaky-key”");
    expect(stepsAgain).toContain("Now revoke the key in Bybit");
    expect((await h.panics.flow(alice.user.id, record.ref))?.record.status).toBe("frozen");

    h.bybit.revoke(creds.apiKey);
    press(alice, "deleted");
    const [, verified, open, after] = await replies(alice, 4);
    expect(verified).toContain("✅ Verified: Bybit no longer accepts the key “leaky-key”");
    expect(open).toContain("<b>Open positions.</b> They stay open after the key is revoked");
    expect(open).toContain("• COIN1USDT Sell 1.5 @ 100.5 (mark 101), PnL 0.75, 5×, liq. 80.2");
    expect(open).toContain("• BTCUSD Buy 1.5 @ 100.5");
    expect(open).toContain("• ORD1USDT Buy Limit 2 @ 99");
    expect(open).toContain("If you do not recognise them, contact Bybit support now.");
    expect(open).toContain("FILL2USDT");
    expect(open).toContain("FILL3USDT");
    expect(open).not.toContain("FILL1USDT");
    expect(after).toContain("send /connect to connect a fresh key");
    await expectPurged(alice, record, true);
  });

  it("forgets the key without checking when asked to", async () => {
    const { alice, record } = await connectedWith();
    await panic(alice);
    await replies(alice, 2);
    const queriesBefore = h.bybit.requests.filter((request) => request.path === "/v5/user/query-api").length;
    await forgetNow(h, alice);
    const [forgot, review] = await replies(alice, 2);
    expect(forgot).toContain("I did not check with Bybit: make sure “leaky-key”");
    expect(review).toContain("No open positions or orders.");
    expect(h.bybit.requests.filter((request) => request.path === "/v5/user/query-api")).toHaveLength(queriesBefore);
    await expectPurged(alice, record, false);
  });

  it("says the forgotten key's ending even when Telegram refuses the late answer to the press", async () => {
    const { alice, record } = await connectedWith();
    await panic(alice);
    await replies(alice, 2);
    await forgetNow(h, alice);
    // The press waited too long (behind a slow update of the chat): its answer is refused, 400.
    h.telegram.expireCallbackQueries();
    // The snapshot's report may come first; the ending must come, whole, and nothing else.
    const said: string[] = [];
    while (!said.at(-1)?.includes("What to do next")) said.push(await alice.reply());
    const ending = said.filter((text) => !text.startsWith("📸"));
    expect(ending).toHaveLength(3);
    expect(ending[0]).toContain("I did not check with Bybit: make sure “leaky-key”");
    expect(ending[1]).toContain("No open positions or orders.");
    await expectPurged(alice, record, false);
  });

  it('checks with Bybit and says the ending even when Telegram refuses the late answer to "I deleted it"', async () => {
    const { alice, record, creds } = await connectedWith();
    await panic(alice);
    await replies(alice, 2);
    h.bybit.revoke(creds.apiKey);
    press(alice, "deleted");
    // Before the bot even takes the update: its answer will be refused, 400 "query is too old".
    h.telegram.expireCallbackQueries();
    const said: string[] = [];
    while (!said.at(-1)?.includes("What to do next")) said.push(await alice.reply());
    const words = said.filter((text) => !text.startsWith("📸"));
    expect(words[0]).toBe("Checking with Bybit…");
    expect(words[1]).toContain("✅ Verified");
    expect(words.join("\n")).not.toContain("Something went wrong");
    await expectPurged(alice, record, true);
  });

  it("follows every page, and splits a long review over several messages", async () => {
    const positions = Array.from({ length: 60 }, (_, index) =>
      position(index, {
        symbol: `LONGSYMBOLNUMBER${index}USDT`,
        unrealisedPnl: "-123456.789012",
        liqPrice: "12345.6789",
      }),
    );
    const orders = Array.from({ length: 120 }, (_, index) => order(index));
    const fills = Array.from({ length: 250 }, (_, index) => fill(index, index % 2 ? "copytrade-x" : "manual"));
    const { alice, creds } = await connectedWith({ positions, orders, fills });
    await panic(alice);
    await replies(alice, 2);
    h.bybit.revoke(creds.apiKey);
    press(alice, "deleted");
    expect(await alice.reply()).toBe("Checking with Bybit…");
    expect(await alice.reply()).toContain("✅ Verified");

    const review: string[] = [];
    for (;;) {
      const text = await alice.reply();
      if (text.includes("What to do next")) break;
      review.push(text);
    }
    expect(review.length).toBeGreaterThan(1);
    for (const message of review) expect(message.length).toBeLessThanOrEqual(4096);
    const all = review.join("\n");
    for (let index = 0; index < 60; index += 1) expect(all).toContain(`LONGSYMBOLNUMBER${index}USDT `);
    expect(all.match(/• ORD\d+USDT/g)).toHaveLength(120);
    expect(all.match(/• .* FILL\d+USDT/g)).toHaveLength(125);
    const pages = (path: string) =>
      h.bybit.requests.filter((request) => request.path === path && request.apiKey === creds.apiKey).length;
    expect(pages("/v5/order/realtime")).toBe(3 + 1 + 1);
    expect(pages("/v5/execution/list")).toBe(3 + 1);
  });

  it("ends a /connect under way", async () => {
    const { alice } = await connectedWith();
    alice.say("/connect");
    await alice.reply();
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:replace");
    await replies(alice, 2);
    expect(await panic(alice)).toContain("🧊 Frozen");
    await alice.reply();
    alice.say(canaryCredentials().apiKey);
    expect(await alice.reply()).toContain("I deleted your message. It looked like an API key or secret");
  });

  it("says what to do when no key is connected", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const bob = h.follower();
    expect(await panic(bob)).toContain(
      "No key is connected, so there is nothing for me to freeze. If you think a Bybit key leaked, delete it in Bybit now",
    );
  });

  it("skips to the purge when the key is already dead", async () => {
    const { alice, creds, record } = await connectedWith();
    h.bybit.revoke(creds.apiKey);
    expect(await panic(alice)).toContain("🧊 Frozen");
    const [steps, dead, review, after] = await replies(alice, 4);
    expect(steps).toContain("Now revoke the key in Bybit");
    expect(dead).toContain("no longer works in Bybit: it was already deleted or has expired");
    expect(review).toContain("I could not read your account with the key");
    expect(after).toContain("What to do next");
    await expectPurged(alice, record, true);
  });

  it("ignores a button pressed by someone else, or after the flow ended", async () => {
    const { alice, creds, record } = await connectedWith();
    await panic(alice);
    await replies(alice, 2);
    const steps = stepsMessage(alice);
    const deleted = buttonData(steps, "deleted");
    h.bybit.revoke(creds.apiKey);

    const mallory = h.follower();
    expect(await pressForAnswer(mallory.user, steps, deleted)).toBe("This button has expired.");
    expect((await h.panics.flow(alice.user.id, record.ref))?.record.status).toBe("frozen");

    h.telegram.pressButton(alice.user, steps, deleted);
    expect(await alice.reply()).toBe("Checking with Bybit…");
    expect(await alice.reply()).toContain("✅ Verified");
    await replies(alice, 2);
    expect(await pressForAnswer(alice.user, steps, deleted)).toBe("This button has expired.");
    expect(alice.transcript().filter((text) => text.includes("Verified"))).toHaveLength(1);
  });
});

describe("/panic, then a new key before the walk-through ended", () => {
  it("keeps the panic flow for the old key, and its buttons act on the old key only", async () => {
    const { alice, creds, record } = await connectedWith();
    await panic(alice);
    await replies(alice, 2);
    const steps = stepsMessage(alice);
    const fresh = canaryCredentials();
    h.bybit.addKey({ ...fresh, note: "fresh-key" });
    alice.say("/connect");
    expect(await alice.reply()).toContain("🧊 Your key “leaky-key”");
    expect(await alice.reply()).toContain("Let’s connect your Bybit account");
    alice.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected: key “fresh-key”");

    h.telegram.pressButton(alice.user, steps, buttonData(steps, "deleted"));
    expect(await alice.reply()).toBe("Checking with Bybit…");
    expect(await alice.reply()).toContain("⚠️ Bybit still accepts the key “leaky-key”");
    await alice.reply();
    h.bybit.revoke(creds.apiKey);
    h.telegram.pressButton(alice.user, steps, buttonData(steps, "deleted"));
    expect(await alice.reply()).toBe("Checking with Bybit…");
    expect(await alice.reply()).toContain("✅ Verified: Bybit no longer accepts the key “leaky-key”");
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(fresh);
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");
    expect(await h.panics.flow(alice.user.id, record.ref)).toBeNull();
  });
});

describe("/forget", () => {
  it("deletes every key about the follower after one confirmation", async () => {
    const { alice, record } = await connectedWith();
    await panic(alice);
    await replies(alice, 2);
    alice.say("/forget");
    expect(await alice.reply()).toContain("Delete your key, its reminders and its history?");
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), `forget:${alice.user.id}`);
    expect(await alice.reply()).toContain("Done: I deleted your key, its reminders and its history.");
    await h.eventsRelayed(alice.user.id);
    expect(await h.keysMatching(`*${alice.user.id}*`)).toEqual([]);
    expect(await h.keysMatching(`*${record.ref}*`)).toEqual([]);
  });
});
