import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { publishCommands } from "../src/bot/commands.js";
import { COMMANDS } from "../src/bot/texts.js";
import { DAY_MS } from "../src/policy/key-policy.js";
import { Api } from "grammy";
import { canaryCredentials } from "./support/canaries.js";
import type { FakeMessage } from "./support/fake-telegram.js";
import { BOT_TOKEN, ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterEach(() => h.stop());

const buttonsOf = (follower: Follower) =>
  JSON.stringify(h.telegram.lastBotMessage(follower.chat.id).reply_markup ?? {});
/** The Cancel button's data on a message (it names its flow). */
const cancelOf = (message: FakeMessage) =>
  (message.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard
    .flat()
    .find((button) => button.callback_data.startsWith("connect:cancel"))!.callback_data;

async function toKeyStep(follower: Follower): Promise<void> {
  follower.say("/connect");
  expect(await follower.reply()).toContain("Let’s connect your Bybit account");
  h.telegram.pressButton(follower.user, h.telegram.lastBotMessage(follower.chat.id), "connect:have-secret");
  expect(await follower.reply()).toContain("System-generated API Keys");
}

describe("first contact", () => {
  it("/start says what the bot does, that 2FA comes first, and offers to connect; the button starts the flow", async () => {
    const alice = h.follower();
    alice.say("/start");
    const intro = await alice.reply();
    expect(intro).toContain("I connect your Bybit account to the copy-trading service");
    expect(intro).toContain("/panic stops it at once");
    expect(intro).toContain("/status shows your key.");
    expect(intro).toContain("turn on 2FA in Bybit");
    expect(intro.split("\n").filter(Boolean).length).toBeLessThanOrEqual(4);
    expect(intro.length).toBeLessThan(400);
    expect(intro).toContain("replace it every 80 days");
    expect(intro).not.toContain("Let’s connect");
    expect(buttonsOf(alice)).toContain("start:connect");
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "start:connect");
    expect(await alice.reply()).toContain("Let’s connect your Bybit account");
  });

  it("/help lists every command with what it is for", async () => {
    const alice = h.follower();
    alice.say("/help");
    const help = await alice.reply();
    for (const command of COMMANDS.filter((command) => command !== "start"))
      expect(help).toMatch(new RegExp(`^/${command} – \\S`, "m"));
    expect(help).toContain("open positions stay open");
  });

  it("answers chatter with a pointer and keeps it; still deletes a key sent outside a flow at once", async () => {
    const alice = h.follower();
    const hello = alice.say("hi, how do I start copying?");
    expect(await alice.reply()).toBe(
      "I only understand commands. To start copying, send /connect; /help lists everything I can do.",
    );
    expect(h.telegram.messageExists(alice.chat.id, hello.message_id)).toBe(true);
    const loose = alice.say(canaryCredentials().apiKey);
    expect(await alice.reply()).toContain("I deleted your message. It looked like an API key or secret.");
    expect(h.telegram.messageExists(alice.chat.id, loose.message_id)).toBe(false);
  });

  it("answers chatter inside the flow with a pointer, not a diagnosis, and keeps the message", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    const hello = alice.say("hi, how do I start copying?");
    const answer = await alice.reply();
    expect(answer).toContain("We’re in the middle of connecting your key");
    expect(answer).not.toContain("doesn’t look like");
    expect(h.telegram.messageExists(alice.chat.id, hello.message_id)).toBe(true);
  });

  it("shows the current step again at /connect mid-flow, with its Cancel button", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    alice.say("/connect");
    const again = await alice.reply();
    expect(again).toContain("Here is where we are:");
    expect(again).toContain("System-generated API Keys");
    expect(buttonsOf(alice)).toContain("connect:cancel");
  });

  it("shows the secret's step again at /connect without repeating that a message was deleted", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    alice.say(canaryCredentials().apiKey);
    expect(await alice.reply()).toBe("I deleted your message. Got the key. Now send the <b>API secret</b>.");
    alice.say("/connect");
    expect(await alice.reply()).toBe("Here is where we are:\n\nGot the key. Now send the <b>API secret</b>.");
  });

  it("links to Bybit's API management and suggests a key name with today's date", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    const steps = h.telegram.botTexts(alice.chat.id).at(-1)!;
    expect(steps).toContain('<a href="https://www.bybit.com/app/user/api-management">API Management</a>');
    expect(steps).toContain(`<code>copy-trade-${new Date(h.now).toISOString().slice(0, 10)}</code>`);
    expect(steps).toContain("Wallet (Account Transfer, Subaccount Transfer, Withdrawal): <b>off</b>");
  });
});

describe("the flow explains itself", () => {
  it("says the flow expired when a key comes after the step's ten minutes, deletes it and stores nothing", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    h.now += 10 * 60_000 + 1;
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    const late = alice.say(creds.apiKey);
    expect(await alice.reply()).toBe(
      "I deleted your message. The key connection had expired: I waited 10 minutes for the next step, so I stopped and stored nothing. Send /connect to start again.",
    );
    expect(h.telegram.messageExists(alice.chat.id, late.message_id)).toBe(false);
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    // The flow is over: the next word is ordinary chatter.
    alice.say("hello there");
    expect(await alice.reply()).toContain("I only understand commands");
  });

  it("keeps waiting within the ten minutes", async () => {
    const alice = h.follower();
    await toKeyStep(alice);
    h.now += 9 * 60_000;
    const creds = canaryCredentials();
    alice.say(creds.apiKey);
    expect(await alice.reply()).toContain("Now send the <b>API secret</b>");
  });

  it("has one Cancel button on each step; it ends the flow, and keeps a connected key, saying so", async () => {
    const alice = h.follower();
    alice.say("/connect");
    await alice.reply();
    expect(buttonsOf(alice).match(/connect:cancel/g)).toHaveLength(1);
    const steps = h.telegram.lastBotMessage(alice.chat.id);
    h.telegram.pressButton(alice.user, steps, cancelOf(steps));
    expect(await alice.reply()).toBe("Cancelled. Nothing was stored.");
    // The step's buttons went with the flow.
    expect(
      h.telegram.botMessages(alice.chat.id).find((message) => message.message_id === steps.message_id)?.reply_markup,
    ).toBeUndefined();
    alice.say(canaryCredentials().apiKey);
    expect(await alice.reply()).toContain("It looked like an API key or secret");

    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "kept-key" });
    alice.say("/connect");
    await alice.reply();
    alice.say(`${creds.apiKey} ${creds.apiSecret}`);
    await alice.reply();
    expect(await alice.reply()).toContain("✅ Connected");
    alice.say("/connect");
    expect(await alice.reply()).toContain("Replace it with a new one?");
    alice.say("/cancel");
    expect(await alice.reply()).toBe(
      "Cancelled. Your key “kept-key” (<code>" +
        `${creds.apiKey.slice(0, 4)}…${creds.apiKey.slice(-4)}` +
        "</code>) stays connected.",
    );
  });

  it("an older flow's Cancel button has expired: it does not cancel the flow under way", async () => {
    const alice = h.follower();
    alice.say("/connect");
    await alice.reply();
    const old = h.telegram.lastBotMessage(alice.chat.id);
    alice.say("/cancel");
    expect(await alice.reply()).toBe("Cancelled. Nothing was stored.");
    alice.say("/connect");
    await alice.reply();
    const current = h.telegram.lastBotMessage(alice.chat.id);
    h.telegram.pressButton(alice.user, old, cancelOf(old));
    await vi.waitFor(() =>
      expect(h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload.text).toBe("This button has expired."),
    );
    h.telegram.pressButton(alice.user, current, "connect:have-secret");
    expect(await alice.reply()).toContain("System-generated API Keys");
    expect(alice.transcript().filter((text) => text.startsWith("Cancelled"))).toHaveLength(1);
  });
});

/** "84 дня", "85 дней", "21 день": the number and the word found, in agreement. */
function daysInRussian(found: RegExpExecArray | null): boolean {
  if (!found) return false;
  const [n, word] = [Number(found[1]), found[2]];
  const [last, lastTwo] = [n % 10, n % 100];
  const expected =
    last === 1 && lastTwo !== 11 ? "день" : last >= 2 && last <= 4 && (lastTwo < 12 || lastTwo > 14) ? "дня" : "дней";
  return word === expected;
}

describe("languages", () => {
  it("speaks Russian to a follower whose Telegram is in Russian: /start, /help, chatter, and the flow", async () => {
    const olga = h.follower({ languageCode: "ru" });
    olga.say("/start");
    const intro = await olga.reply();
    expect(intro).toContain("Я подключаю ваш аккаунт Bybit к сервису копитрейдинга");
    expect(intro).toContain("включите 2FA в Bybit");
    expect(intro).toContain("Я храню его в зашифрованном виде и напоминаю заменить его каждые 80 дней.");
    expect(buttonsOf(olga)).toContain("Подключить ключ Bybit");
    olga.say("/help");
    expect(await olga.reply()).toContain("/panic – ключ утёк?");
    olga.say("привет, как начать копировать?");
    expect(await olga.reply()).toBe(
      "Я понимаю только команды. Чтобы начать копировать сделки, отправьте /connect; /help покажет всё, что я умею.",
    );
    olga.say("/connect");
    expect(await olga.reply()).toContain("Подключим ваш аккаунт Bybit");
    expect(buttonsOf(olga)).toContain("Отмена");
  });

  it("falls back to English for a language without a locale, and for none", async () => {
    const pablo = h.follower({ languageCode: "es" });
    pablo.say("/help");
    expect(await pablo.reply()).toContain("<b>What I can do</b>");
  });

  it("sends reminders in the follower's language, remembered from their messages, and /forget removes it", async () => {
    const olga = h.follower({ languageCode: "ru-RU" });
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "old-key", createdAt: Date.now() - 85 * DAY_MS });
    olga.say("/connect");
    await olga.reply();
    olga.say(`${creds.apiKey} ${creds.apiSecret}`);
    expect(await olga.reply()).toBe("Проверяю ключ в Bybit…");
    const confirmation = await olga.reply();
    expect(confirmation).toContain("✅ Подключено: ключ «old-key»");
    // Bybit's permission labels as its English screens print them, as with its button names.
    expect(confirmation).toContain("Права: Contracts: Orders, Positions");
    expect(daysInRussian(/Этому ключу уже (\d+) (\S+), пора его заменить\./.exec(confirmation))).toBe(true);
    // A date ends in "г.": no second full stop after it.
    expect(confirmation).toMatch(
      /Я предупрежу за день до того, как он истечёт \d+ \S+ \d{4} г\., и ещё раз в этот день\./,
    );
    expect(confirmation).not.toContain("г..");
    // From the reminder worker, outside any update.
    const reminder = await olga.reply();
    expect(reminder).toContain("🔁 Пора заменить ключ «old-key»");
    expect(daysInRussian(/: ему (\d+) ([^,.\s]+)[,.]/.exec(reminder))).toBe(true);
    expect(reminder).not.toContain("г..");
    expect(await h.redis.get(`follower:{${olga.user.id}}:language`)).toBe("ru-RU");
    olga.say("/forget");
    await olga.reply();
    h.telegram.pressButton(olga.user, h.telegram.lastBotMessage(olga.chat.id), `forget:${olga.user.id}`);
    expect(await olga.reply()).toContain("Готово: я удалил ваш ключ");
    expect(await h.redis.exists(`follower:{${olga.user.id}}:language`)).toBe(0);
  });

  it("publishes the command menu in English for everyone and in Russian for Russian Telegram", async () => {
    await publishCommands(new Api(BOT_TOKEN, { apiRoot: h.telegram.apiRoot }));
    const menus = h.telegram
      .callsOf("setMyCommands")
      .map((call) => call.payload as { commands: { command: string; description: string }[]; language_code?: string });
    expect(menus.map((menu) => menu.language_code)).toEqual([undefined, "ru"]);
    for (const menu of menus) expect(menu.commands.map((entry) => entry.command)).toEqual([...COMMANDS]);
    expect(menus[1]!.commands.find((entry) => entry.command === "panic")?.description).toBe(
      "Ключ утёк? Остановить его и отозвать",
    );
  });
});
