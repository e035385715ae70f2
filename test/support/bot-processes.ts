// What the tests of a real bot process (test/support/service.ts) share: new followers, waiting for a
// bot to poll, a follower connected through the fakes, and a kill timed at a given message.
import { randomInt } from "node:crypto";
import { canaryCredentials } from "./canaries.js";
import type { FakeBybit } from "./fake-bybit.js";
import type { FakeTelegram, FakeUser, RecordedCall } from "./fake-telegram.js";
import type { Service, ServiceStage } from "./service.js";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const newFollower = (): FakeUser => ({ id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "F" });
export const textOf = (call: RecordedCall) => String(call.payload.text);

/** Starts a bot process on the stage and waits until it polls; `running` collects it for cleaning up. */
export async function startPollingBot(
  stage: ServiceStage,
  extra: Record<string, string> = {},
  running?: Service[],
): Promise<Service> {
  const bot = stage.start({ ROLE: "bot", ...extra });
  running?.push(bot);
  await stage.telegram.waitForCall(
    (call) => call.method === "getUpdates" && call.at > bot.startedAt,
    20_000,
    "polling",
  );
  return bot;
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The follower's next message from the bot, as text. */
export const nextText =
  (telegram: FakeTelegram, follower: FakeUser) =>
  async (timeoutMs = 10_000) =>
    textOf(await telegram.nextBotMessage(follower.id, timeoutMs));

/** Connects a canary key for the follower, pasted as key and secret; resolves once "Connected" came. */
export async function connectThroughFakes(telegram: FakeTelegram, bybit: FakeBybit, follower: FakeUser): Promise<void> {
  const next = nextText(telegram, follower);
  const creds = canaryCredentials();
  bybit.addKey(creds);
  telegram.sendText(follower, "/connect");
  await next();
  telegram.sendText(follower, `${creds.apiKey} ${creds.apiSecret}`);
  for (let reply = await next(); !reply.includes("✅ Connected"); reply = await next());
}

/**
 * kill -9 of `bot` the moment Telegram has taken a message to the follower that contains `text`;
 * later sends are held `holdMs`, so that the process dies before any more of them go out.
 */
export function killWhenTaken(
  telegram: FakeTelegram,
  bot: Service,
  follower: FakeUser,
  text: string,
  holdMs: number,
): void {
  telegram.onAnswered = (call) => {
    const taken = call.method === "sendMessage" && call.payload.chat_id === follower.id && textOf(call).includes(text);
    if (!taken) return;
    telegram.onAnswered = undefined;
    telegram.delayMethod("sendMessage", holdMs);
    bot.child.kill("SIGKILL");
  };
}

/** Whether a message to the chat went out after the first `from` sendMessage calls. */
export const sentToSince = (telegram: FakeTelegram, chatId: number, from: number) => () =>
  telegram
    .callsOf("sendMessage")
    .slice(from)
    .some((call) => call.payload.chat_id === chatId);
