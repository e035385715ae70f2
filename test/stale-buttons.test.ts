import { afterEach, describe, expect, it, vi } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { remindedFollower, repliesUntil } from "./support/flows.js";
import type { FakeMessage } from "./support/fake-telegram.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

// Issue 21, defect 6 (from an attack pass): stale and forged key buttons, read as a new follower would.
let h: Harness;
afterEach(() => h.stop());

const reminded = remindedFollower;

function press(follower: Follower, message: FakeMessage, data?: string): void {
  const [[button]] = (message.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard as [
    [{ callback_data: string }],
  ];
  h.telegram.pressButton(follower.user, message, data ?? button.callback_data);
}

describe("stale and forged key buttons", () => {
  it("pressed with no key left (after /disconnect), says the key is gone and points to /connect", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const { alice, record, reminder } = await reminded(h);
    alice.say("/disconnect");
    await alice.reply();
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), `disconnect:${record.ref}`);
    expect(await alice.reply()).toContain("Disconnected");
    expect(await h.credentials.current(alice.user.id)).toBeNull();

    press(alice, reminder);
    const answer = await alice.reply();
    // Before the fix: "This button is for a key you no longer have, so I left your current key alone. Send /rotate
    // to replace the key you have now." — there is no current key, and /rotate has nothing to replace.
    // Expected: one true thing and the next step: no key is connected now; send /connect to connect a new one.
    expect(answer).not.toMatch(/current key|key you have now/);
    expect(answer).toContain("/connect");
  });

  it("pressed after /panic with no new key, speaks of no current key", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const { alice, reminder } = await reminded(h);
    alice.say("/panic");
    await repliesUntil(alice, "Now revoke the key in Bybit");
    press(alice, reminder);
    const answers = [await alice.reply(), await alice.reply()];
    // Before the fix: the frozen notice, then "...so I left your current key alone. Send /rotate to replace the key you
    // have now." — the only key is the frozen one, and the follower is sent to /rotate instead of the revoke steps.
    expect(answers.join("\n")).not.toMatch(/current key|key you have now/);
  });

  it("held: a follower forging rotate:start:<another follower's ref> starts nothing and touches nothing", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const { record: victimKey, creds } = await reminded(h);
    const mallory = h.follower();
    const own = canaryCredentials();
    h.bybit.addKey({ ...own, note: "mallory-key" });
    mallory.say("/connect");
    await mallory.reply();
    mallory.say(`${own.apiKey} ${own.apiSecret}`);
    await repliesUntil(mallory, "✅ Connected");
    const anyMessage = h.telegram.lastBotMessage(mallory.chat.id);
    h.telegram.pressButton(
      mallory.user,
      {
        ...anyMessage,
        reply_markup: { inline_keyboard: [[{ text: "x", callback_data: `rotate:start:${victimKey.ref}` }]] },
      },
      `rotate:start:${victimKey.ref}`,
    );
    const answer = await mallory.reply();
    expect(answer).not.toContain("Let’s replace your key");
    expect((await h.credentials.reveal(victimKey.userId))?.credentials).toEqual(creds);
  });
  it("held: a follower forging panic:forget:<another follower's ref> and panic:freeze:<ref> ends and freezes nothing", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const { alice, record } = await reminded(h);
    alice.say("/panic");
    await repliesUntil(alice, "Now revoke the key in Bybit");
    const mallory = h.follower();
    mallory.say("/help");
    await mallory.reply();
    const anyMessage = h.telegram.lastBotMessage(mallory.chat.id);
    for (const data of [
      `panic:forget:${record.ref}`,
      `panic:forget-yes:${record.ref}`,
      `panic:keep:${record.ref}`,
      `panic:deleted:${record.ref}`,
      `panic:freeze:${record.ref}`,
      `disconnect:${record.ref}`,
    ]) {
      h.telegram.pressButton(
        mallory.user,
        { ...anyMessage, reply_markup: { inline_keyboard: [[{ text: "x", callback_data: data }]] } },
        data,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await h.panics.flow(alice.user.id, record.ref)).not.toBeNull();
    expect(h.telegram.botTexts(alice.chat.id).join("\n")).not.toMatch(/forgotten|deleted everything/i);
  });
});

describe("an older flow's buttons", () => {
  it("Replace, pressed under an older flow's question about another key, has expired and replaces nothing", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const alice = h.follower();
    const first = canaryCredentials();
    h.bybit.addKey({ ...first, note: "first-key" });
    alice.say("/connect");
    await alice.reply();
    alice.say(`${first.apiKey} ${first.apiSecret}`);
    await repliesUntil(alice, "✅ Connected");
    // "Replace “first-key”?" is answered with a paste of the second key instead of a tap: its buttons stay.
    alice.say("/connect");
    expect(await alice.reply()).toContain("first-key");
    const aboutFirst = h.telegram.lastBotMessage(alice.chat.id);
    const second = canaryCredentials();
    h.bybit.addKey({ ...second, note: "second-key" });
    alice.say(`${second.apiKey} ${second.apiSecret}`);
    await repliesUntil(alice, "✅ Connected");
    alice.say("/connect");
    expect(await alice.reply()).toContain("second-key");
    const answered = h.telegram.callsOf("answerCallbackQuery").length;
    h.telegram.pressButton(alice.user, aboutFirst, "connect:replace");
    await vi.waitFor(() => expect(h.telegram.callsOf("answerCallbackQuery").length).toBeGreaterThan(answered));
    // Before the fix: the old question's Replace answered the new one ("Replacing…"), about the second key.
    expect(h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload.text).toBe("This button has expired.");
    const edits = h.telegram.callsOf("editMessageText").map((call) => String(call.payload.text));
    expect(edits.join("\n")).not.toContain("let’s connect the new key");
    // The question on screen still answers.
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:keep");
    expect(await alice.reply()).toBe("Okay, your key stays as it is.");
    expect((await h.credentials.current(alice.user.id))?.name).toBe("second-key");
  });
});
