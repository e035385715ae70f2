import { randomInt } from "node:crypto";
import { run, type RunnerHandle } from "@grammyjs/runner";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { createBot } from "../../src/bot/create-bot.js";
import { createBybitExchange } from "../../src/exchange/bybit.js";
import { createLogger } from "../../src/infra/logger.js";
import { createCredentialStore, type CredentialStore } from "../../src/vault/credential-store.js";
import { generateKeyringEntry, parseKeyring } from "../../src/vault/keyring.js";
import { createSealer, type Sealer } from "../../src/vault/sealer.js";
import { FakeBybit } from "./fake-bybit.js";
import { FakeTelegram, type FakeChat, type FakeMessage, type FakeUser } from "./fake-telegram.js";

export const BOT_TOKEN = "123456789:AAtest-token-canary-0123456789abcdef";

export interface HarnessOptions {
  egressIps?: string[];
  bybitTimeoutMs?: number;
}

export interface Follower {
  user: FakeUser;
  chat: FakeChat;
  say(text: string): FakeMessage;
  /** The bot's next message (or edit) in this chat; fails after a few seconds of silence. */
  reply(): Promise<string>;
  /** Every message the bot sent this follower so far. */
  transcript(): string[];
}

/** The real bot, wired like production, against a real Redis and the two protocol fakes. */
export interface Harness {
  telegram: FakeTelegram;
  bybit: FakeBybit;
  redis: Redis;
  sealer: Sealer;
  credentials: CredentialStore;
  logs: string[];
  now: number;
  follower(): Follower;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const telegram = new FakeTelegram(BOT_TOKEN);
  const bybit = new FakeBybit();
  const [telegramApiRoot, bybitBaseUrl] = await Promise.all([telegram.start(), bybit.start()]);
  const redis = new Redis(inject("redisUrl"));
  const logs: string[] = [];
  const logger = createLogger({ level: "trace", neverLog: [BOT_TOKEN], destination: { write: (line: string) => logs.push(line) } });
  const sealer = createSealer(parseKeyring(generateKeyringEntry()));
  const credentials = createCredentialStore(redis, sealer);

  const harness: Harness = {
    telegram,
    bybit,
    redis,
    sealer,
    credentials,
    logs,
    now: Date.now(),
    follower() {
      const user: FakeUser = { id: randomInt(1_000_000, 2 ** 40), is_bot: false, first_name: "Follower" };
      const chat = telegram.privateChat(user);
      return {
        user,
        chat,
        say: (text) => telegram.sendText(user, text, chat),
        reply: async () => String((await telegram.nextBotMessage(chat.id)).payload.text),
        transcript: () => telegram.botTexts(chat.id),
      };
    },
    async stop() {
      if (runner.isRunning()) await runner.stop();
      await Promise.all([telegram.stop(), bybit.stop()]);
      redis.disconnect();
    },
  };

  const bot = createBot({
    token: BOT_TOKEN,
    telegramApiRoot,
    redis,
    sealer,
    credentials,
    exchange: createBybitExchange({ baseUrl: bybitBaseUrl, timeoutMs: options.bybitTimeoutMs ?? 2000 }),
    clock: () => harness.now,
    egressIps: options.egressIps ?? [],
    rotateAfterDays: 80,
    logger,
  });
  const runner: RunnerHandle = run(bot, { runner: { fetch: { timeout: 1 }, silent: true } });
  return harness;
}
