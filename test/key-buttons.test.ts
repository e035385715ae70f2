import { afterEach, describe, expect, it, vi } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { remindedFollower, repliesUntil } from "./support/flows.js";
import type { FakeMessage } from "./support/fake-telegram.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

// Buttons outlive their key: a reminder stays in the chat after /panic, a rotation or /disconnect.
let h: Harness;
afterEach(() => h.stop());

const STALE =
  "This button is for a key you no longer have, so I left your current key alone. Send /rotate to replace the key you have now.";

/** A follower whose key is 85 days old: its reminder came at once. Returns the reminder's message. */
async function reminded(languageCode?: string) {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
  return remindedFollower(h, languageCode);
}

/** Presses the one button under a message, as the follower would. */
function pressTheButton(follower: Follower, message: FakeMessage): void {
  const [[button]] = (message.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard as [
    [{ callback_data: string }],
  ];
  h.telegram.pressButton(follower.user, message, button.callback_data);
}

describe('a reminder\'s "Rotate now"', () => {
  it("names its key", async () => {
    const { record, reminder } = await reminded();
    expect(reminder.reply_markup).toEqual({
      inline_keyboard: [[{ text: "Replace now", callback_data: `rotate:start:${record.ref}` }]],
    });
  });

  it("pressed after /panic and a new key, says it is stale and leaves the new key alone", async () => {
    const { alice, reminder } = await reminded();
    alice.say("/panic");
    await repliesUntil(alice, "Now revoke the key in Bybit");
    const fresh = canaryCredentials();
    h.bybit.addKey({ ...fresh, note: "new-key" });
    alice.say("/connect");
    await repliesUntil(alice, "Let’s connect your Bybit account");
    alice.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    await repliesUntil(alice, "✅ Connected: key “new-key”");

    pressTheButton(alice, reminder);
    const answers = await repliesUntil(alice, STALE);
    expect(answers.join("\n")).not.toContain("Let’s replace your key");
    // Nothing waits for a key: what the follower sends next is no replacement.
    const other = canaryCredentials();
    h.bybit.addKey({ ...other, note: "other-key" });
    alice.say(`${other.apiKey} ${other.apiSecret}`);
    await alice.reply();
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(fresh);
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");
  });

  it("pressed after a rotation, says so in Russian too", async () => {
    const { alice, reminder } = await reminded("ru");
    const fresh = canaryCredentials();
    h.bybit.addKey({ ...fresh, note: "new-key" });
    alice.say("/rotate");
    await alice.reply();
    alice.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    await repliesUntil(alice, "new-key");
    pressTheButton(alice, reminder);
    expect(await alice.reply()).toBe(
      "Эта кнопка — для ключа, которого у вас больше нет, поэтому я не трогал текущий ключ. Чтобы заменить ключ, который у вас сейчас, отправьте /rotate.",
    );
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(fresh);
  });

  it("still starts the rotation of the key it names", async () => {
    const { alice, reminder } = await reminded();
    pressTheButton(alice, reminder);
    expect(await alice.reply()).toContain("Let’s replace your key</b> “old-key”");
  });

  it("sent before buttons named their key: acts only if the key came before the reminder", async () => {
    const { alice, reminder } = await reminded();
    // Telegram dates messages in whole seconds: this one a minute after the key was connected.
    const legacy = {
      ...reminder,
      date: reminder.date + 60,
      reply_markup: { inline_keyboard: [[{ text: "Replace now", callback_data: "rotate:start" }]] },
    };
    h.telegram.pressButton(alice.user, legacy, "rotate:start");
    expect(await alice.reply()).toContain("Let’s replace your key</b> “old-key”");
    alice.say("/cancel");
    await alice.reply();
    const older = { ...legacy, date: reminder.date - 3600 };
    h.telegram.pressButton(alice.user, older, "rotate:start");
    expect(await alice.reply()).toBe(STALE);
  });
});

/** /panic froze the reminded key, a second one was connected, and /panic asks "Freeze it too?" about it. */
async function askedToFreezeANewerKey() {
  const { alice } = await reminded();
  alice.say("/panic");
  await repliesUntil(alice, "Now revoke the key in Bybit");
  const second = canaryCredentials();
  h.bybit.addKey({ ...second, note: "second-key" });
  alice.say("/connect");
  await repliesUntil(alice, "Let’s connect your Bybit account");
  alice.say(`${second.apiKey} ${second.apiSecret}`);
  await repliesUntil(alice, "✅ Connected: key “second-key”");
  alice.say("/panic");
  await repliesUntil(alice, "Has it leaked too?");
  return { alice, question: h.telegram.lastBotMessage(alice.chat.id) };
}

describe("the other buttons about a key", () => {
  // Already safe before issue 21 (they named their key); kept so by this test.
  it('"Freeze it too", pressed after that key was replaced, has expired and freezes nothing', async () => {
    const { alice, question } = await askedToFreezeANewerKey();

    const third = canaryCredentials();
    h.bybit.addKey({ ...third, note: "third-key" });
    alice.say("/rotate");
    await repliesUntil(alice, "Let’s replace your key");
    alice.say(`${third.apiKey} ${third.apiSecret}`);
    await repliesUntil(alice, "✅ Connected: key “third-key”");

    pressTheButton(alice, question);
    await vi.waitFor(() =>
      expect(h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload.text).toBe("This button has expired."),
    );
    expect((await h.credentials.reveal(alice.user.id))?.credentials).toEqual(third);
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");
  });

  it('"Freeze it too" comes with "No, keep it"; "Forget the key now" asks once, and "No" goes back', async () => {
    const { alice, question } = await askedToFreezeANewerKey();
    const keep = JSON.stringify(question.reply_markup).match(/"(panic:keep:[\w-]+)"/)![1]!;
    h.telegram.pressButton(alice.user, question, keep);
    expect(await alice.reply()).toMatch(/^OK: your key “second-key” .* stays in use\.$/);
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");

    const steps = h.telegram
      .botMessages(alice.chat.id)
      .filter((sent) => JSON.stringify(sent.reply_markup ?? {}).includes("panic:forget:"))
      .at(-1)!;
    const forget = JSON.stringify(steps.reply_markup).match(/"(panic:forget:[\w-]+)"/)![1]!;
    h.telegram.pressButton(alice.user, steps, forget);
    expect(await alice.reply()).toMatch(/^Forget the frozen key “.+” .* If it is not deleted in Bybit/);
    const asked = h.telegram.lastBotMessage(alice.chat.id);
    h.telegram.pressButton(alice.user, asked, forget.replace("forget:", "forget-no:"));
    // The snapshot's report may come in between.
    await repliesUntil(alice, "Now revoke the key in Bybit");
    expect(await h.panics.open(alice.user.id)).toHaveLength(1);
  });
});
