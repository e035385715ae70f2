import { afterEach, describe, expect, it } from "vitest";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeAccount } from "./support/fake-bybit.js";
import type { FakeChat, FakeMessage } from "./support/fake-telegram.js";
import { submitKey, forgetNow } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness, type HarnessOptions } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

const POSITION = {
  category: "linear",
  settleCoin: "USDT",
  symbol: "ETHUSDT",
  side: "Buy",
  size: "2",
  avgPrice: "3000",
  markPrice: "3100",
  unrealisedPnl: "200",
  leverage: "4",
  liqPrice: "2300",
} as const;

async function connected(options: HarnessOptions = {}, account: Partial<FakeAccount> = {}) {
  h = await startHarness({ telegramLimits: ROOMY_CHATS, ...options });
  const alice = h.follower();
  const creds = canaryCredentials();
  h.bybit.addKey({ ...creds, note: "leaky-key", account: { positions: [], orders: [], fills: [], ...account } });
  expect(await submitKey(alice, creds)).toContain("✅ Connected");
  return { alice, creds, record: (await h.credentials.current(alice.user.id))! };
}

const buttonsOf = (message: FakeMessage) =>
  ((message.reply_markup as { inline_keyboard?: { callback_data: string }[][] } | undefined)?.inline_keyboard ?? [])
    .flat()
    .map((button) => button.callback_data);

function press(follower: Follower, action: "deleted" | "forget"): void {
  const message = h.telegram
    .botMessages(follower.chat.id)
    .filter((sent) => buttonsOf(sent).some((data) => data.startsWith("panic:")))
    .at(-1)!;
  h.telegram.pressButton(
    follower.user,
    message,
    buttonsOf(message).find((data) => data.startsWith(`panic:${action}:`))!,
  );
}

/** The bot's replies until one contains `text`; fails if it never comes. */
async function until(follower: Follower, text: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    seen.push(await follower.reply());
    if (seen.at(-1)!.includes(text)) return seen;
  }
}

describe("/panic shows the revoke steps first", () => {
  it("puts the steps on screen before a slow Bybit answers, and the snapshot arrives on its own", async () => {
    const { alice } = await connected({}, { positions: [POSITION] });
    let answered = 0;
    h.bybit.beforeAnswer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      answered += 1;
    };
    const command = alice.say("/panic");
    expect(await alice.reply()).toContain("🧊 Frozen");
    const steps = await h.telegram.nextBotMessage(alice.chat.id);
    expect(String(steps.payload.text)).toContain("Now revoke the key in Bybit");
    expect(buttonsOf(h.telegram.lastBotMessage(alice.chat.id))).toHaveLength(2);
    expect(answered).toBe(0);
    expect(steps.at - h.telegram.takenAtOf(command)!).toBeLessThan(1000);
    expect(await alice.reply()).toContain("📸 Read while the key still worked: 1 open position");
    expect(answered).toBeGreaterThan(0);
  });

  it("shows the steps at once when Bybit does not answer at all, then says the account could not be read", async () => {
    const { alice, creds } = await connected({ bybitTimeoutMs: 1000 });
    h.bybit.mode = "hang";
    alice.say("/panic");
    await alice.reply();
    expect(await alice.reply()).toContain("Now revoke the key in Bybit");
    expect(await alice.reply()).toContain("I couldn’t read your account with the key just now");
    h.bybit.mode = "normal";
    h.bybit.revoke(creds.apiKey);
    press(alice, "deleted");
    const seen = await until(alice, "I could not read your account");
    expect(seen.at(-2)).toContain("✅ Verified");
    expect(seen.at(-1)).toContain("I could not read your account with the key");
  });
});

describe("two /panic close together", () => {
  it("read the account once", async () => {
    const { alice } = await connected();
    h.telegram.delayMethod("sendMessage", 300);
    alice.say("/panic");
    await new Promise((resolve) => setTimeout(resolve, 150));
    const before = h.bybit.requests.length;
    alice.say("/panic");
    await until(alice, "📸");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(alice.transcript().filter((text) => text.startsWith("📸"))).toHaveLength(1);
    expect(h.bybit.requests.length - before).toBe(8);
  });
});

describe("one panic flow per key", () => {
  it("continues the open flow on a second /panic: same buttons, no second snapshot, the first snapshot in the review", async () => {
    const { alice, creds, record } = await connected({}, { positions: [POSITION] });
    alice.say("/panic");
    await until(alice, "📸");
    const snapshotRequests = h.bybit.requests.length;
    h.bybit.addKey({ ...canaryCredentials(), note: "unrelated" });

    alice.say("/panic");
    const again = await alice.reply();
    expect(again).toContain("Now revoke the key in Bybit");
    expect(buttonsOf(h.telegram.lastBotMessage(alice.chat.id))).toEqual([
      `panic:deleted:${record.ref}`,
      `panic:forget:${record.ref}`,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.bybit.requests.length).toBe(snapshotRequests);
    expect(alice.transcript().filter((text) => text.startsWith("🧊 Frozen"))).toHaveLength(1);

    h.bybit.revoke(creds.apiKey);
    press(alice, "deleted");
    const review = (await until(alice, "Open positions")).at(-1);
    expect(review).toContain("• ETHUSDT Buy 2 @ 3000");
    expect(review).toMatch(/As read at \d+ \w+, \d\d:\d\d UTC/);
  });
});

describe("a frozen key tells the same story everywhere", () => {
  it("/status, /rotate, /connect and /disconnect say the key is frozen and must be deleted in Bybit, with the buttons", async () => {
    const { alice, creds } = await connected();
    alice.say("/panic");
    await until(alice, "📸");

    for (const command of ["/status", "/disconnect"]) {
      alice.say(command);
      const notice = await alice.reply();
      expect(notice).toContain("🧊 Your key “leaky-key”");
      expect(notice).toContain("is frozen after /panic, and it still has to be deleted in Bybit");
      expect(buttonsOf(h.telegram.lastBotMessage(alice.chat.id))[0]).toMatch(/^panic:deleted:/);
    }
    for (const command of ["/rotate", "/connect"]) {
      alice.say(command);
      expect(await alice.reply()).toContain("🧊 Your key “leaky-key”");
      expect(await alice.reply()).toContain("Let’s connect your Bybit account");
    }
    alice.say("/cancel");
    expect(await alice.reply()).toBe("Cancelled. Nothing was stored.");
    // The notice's buttons are the flow's.
    h.bybit.revoke(creds.apiKey);
    press(alice, "deleted");
    await until(alice, "What to do next");
    alice.say("/status");
    const status = await alice.reply();
    expect(status).toContain("Your last key “leaky-key”");
    expect(status).toContain("was frozen with /panic on");
    expect(status).toContain("Bybit confirmed it is deleted.");
    expect(status).toContain("No key is connected. Send /connect to connect your Bybit API key.");
  });
});

describe("/panic while a key is being checked", () => {
  it("freezes the leaked key at once, without waiting for the check, and does not store the key under check", async () => {
    const { alice, record } = await connected();
    const fresh = canaryCredentials();
    h.bybit.addKey({ ...fresh, note: "fresh-key" });
    alice.say("/rotate");
    await alice.reply();
    let release: (() => void) | undefined;
    h.bybit.beforeAnswer = () => new Promise<void>((resolve) => (release = resolve));
    alice.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    expect(await alice.reply()).toBe("Checking the key with Bybit…");
    // The check reaches Bybit a moment after "Checking…": /panic comes while Bybit holds it.
    while (!release) await new Promise((resolve) => setTimeout(resolve, 5));
    alice.say("/panic");
    expect(await alice.reply()).toContain("🧊 Frozen: I no longer use the key “leaky-key”");
    expect(await alice.reply()).toContain("Now revoke the key in Bybit");
    h.bybit.beforeAnswer = undefined;
    release!();
    expect(await until(alice, "You sent /panic while I was checking this key, so I did not store it")).toBeTruthy();
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect((await h.panics.flow(alice.user.id, record.ref))?.record.name).toBe("leaky-key");
  });
});

describe("a second /panic after a fresh key was connected", () => {
  it("shows the open flow and asks before freezing the fresh key too", async () => {
    const { alice } = await connected();
    alice.say("/panic");
    await until(alice, "📸");
    const fresh = canaryCredentials();
    h.bybit.addKey({ ...fresh, note: "fresh-key" });
    alice.say("/connect");
    await until(alice, "Let’s connect your Bybit account");
    alice.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    expect((await until(alice, "✅")).at(-1)).toContain("✅ Connected: key “fresh-key”");
    alice.say("/panic");
    expect(await alice.reply()).toContain("Find “leaky-key”");
    expect(await alice.reply()).toContain("Your new key “fresh-key”");
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");
    const question = h.telegram.lastBotMessage(alice.chat.id);
    h.telegram.pressButton(alice.user, question, buttonsOf(question)[0]!);
    expect(await alice.reply()).toContain("🧊 Frozen: I no longer use the key “fresh-key”");
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    expect(await h.panics.open(alice.user.id)).toHaveLength(2);
  });
});

describe("what cannot be undone", () => {
  it("answers /cancel with the frozen key and its buttons, and mentions the frozen key on /start and Rotate now", async () => {
    const { alice } = await connected();
    alice.say("/panic");
    await until(alice, "📸");
    alice.say("/cancel");
    expect(await alice.reply()).toContain("A /panic can’t be undone: the key “leaky-key”");
    expect(buttonsOf(h.telegram.lastBotMessage(alice.chat.id))[0]).toMatch(/^panic:deleted:/);
    alice.say("/start");
    expect(await alice.reply()).toContain("🧊 Your key “leaky-key”");
    expect(await alice.reply()).toContain("I connect your Bybit account");
  });
});

describe("a key flagged by /panic is never connected again", () => {
  it("refuses it after the flow, after /forget, and for any follower, with the reason", async () => {
    const { alice, creds } = await connected();
    alice.say("/panic");
    await until(alice, "📸");
    await forgetNow(h, alice);
    await until(alice, "What to do next");
    expect(await submitKey(alice, creds)).toContain(
      "This key was frozen as leaked, so I will never use it again. Nothing was stored.",
    );

    // The refused key left the flow open (to send a fixed one): /forget ends it first.
    alice.say("/forget");
    expect(await alice.reply()).toBe("First I stopped connecting a key.");
    await alice.reply();
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), `forget:${alice.user.id}`);
    expect(await alice.reply()).toContain("Done");
    expect(await submitKey(alice, creds)).toContain("frozen as leaked");
    expect(await submitKey(h.follower(), creds)).toContain("frozen as leaked");
    // Nothing of alice's but the flow still open (sealed) for a fixed key.
    const left = await h.keysMatching(`*${alice.user.id}*`);
    expect(left.filter((key) => key !== `conversation:${alice.chat.id}`)).toEqual([]);
  });
});

describe("/panic always works", () => {
  it.each([
    ["a corrupted record", async (key: string) => h.redis.set(key, "{not json")],
    [
      "a record that is no sealed blob",
      async (key: string) => h.redis.set(key, JSON.stringify("bm90IGEgc2VhbGVkIGJsb2I=")),
    ],
    [
      "state sealed with a keyring entry that was removed",
      async (key: string) => {
        const retired = createSealer(parseKeyring(generateKeyringEntry()));
        const state = retired.seal(
          Buffer.from(JSON.stringify({ version: 1, state: {} })),
          `purpose=conversation|key=${key}`,
        );
        await h.redis.set(key, state.toString("base64"));
      },
    ],
  ])(
    "when the conversation state is %s: the state is dropped with a log line and /panic freezes the key",
    async (_, spoil) => {
      const { alice } = await connected();
      const key = `conversation:${alice.chat.id}`;
      // The finished connect flow lets go of its state just after "Connected": spoiled before that, the
      // spoiled state would be deleted by it, not met by /panic.
      await expect.poll(() => h.redis.exists(key)).toBe(0);
      await spoil(key);
      alice.say("/panic");
      expect(await alice.reply()).toContain("🧊 Frozen");
      expect(await alice.reply()).toContain("Now revoke the key in Bybit");
      // The flow is ended in the chat's queue, just after: the next reply comes after it.
      alice.say("hello");
      await until(alice, "I only understand commands");
      expect(h.logs.join("\n")).toContain("dropped conversation state that could not be opened");
      expect(await h.redis.exists(key)).toBe(0);
    },
  );
});

describe("a frozen key no keyring entry opens any more", () => {
  it("is never declared revoked: the follower is told it cannot be checked, and can still end the flow", async () => {
    const { alice, record } = await connected();
    alice.say("/panic");
    await until(alice, "📸");
    const retired = createSealer(parseKeyring(generateKeyringEntry()));
    const flowKey = `follower:{${alice.user.id}}:panic:${record.ref}`;
    await h.redis.hset(flowKey, {
      sealed: retired.seal(Buffer.from("{}"), "elsewhere"),
      snapshot: retired.seal(Buffer.from("{}"), "elsewhere"),
    });
    press(alice, "deleted");
    const cannot = await alice.reply();
    expect(cannot).toContain("I can no longer open the key “leaky-key”");
    expect(cannot).toContain("to check it with Bybit. Make sure it is deleted in Bybit");
    await forgetNow(h, alice);
    const [forgot, review] = await until(alice, "I could not read your account");
    expect(forgot).toContain("I did not check with Bybit");
    expect(review).toContain("I could not read your account with the key");
  });
});

describe("/panic from a group", () => {
  it("answers with a deep link that opens /panic in the private chat, and the private chat honours it", async () => {
    const { alice } = await connected();
    const group: FakeChat = { id: -1002468013579, type: "supergroup", title: "Copy traders" };
    h.telegram.sendText(alice.user, "/panic", group);
    const answer = String((await h.telegram.nextBotMessage(group.id)).payload.text);
    expect(answer).toContain("https://t.me/keys_test_bot?start=panic");
    alice.say("/start panic");
    expect(await alice.reply()).toContain("🧊 Frozen");
  });
});

describe("the end of the flow", () => {
  it("says whom to tell when SUPPORT_CONTACT is set, and leaves the line out otherwise", async () => {
    const { alice } = await connected({ supportContact: "@copytrade_help" });
    alice.say("/panic");
    await until(alice, "📸");
    await forgetNow(h, alice);
    expect((await until(alice, "What to do next")).at(-1)).toContain("• Tell us what happened: @copytrade_help");
    await h.stop();

    const other = await connected();
    other.alice.say("/panic");
    await until(other.alice, "📸");
    await forgetNow(h, other.alice);
    expect((await until(other.alice, "What to do next")).at(-1)).not.toContain("Tell us what happened");
  });
});
