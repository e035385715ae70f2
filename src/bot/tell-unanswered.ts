import type { Api, Bot } from "grammy";
import type { Logger } from "pino";
import type { RedisClient } from "../infra/redis.js";
import type { Metrics } from "../metrics/metrics.js";
import type { FollowerLanguages } from "../stores/follower-language.js";
import type { BotContext } from "./context.js";
import type { MessageAddress } from "./intake/carriers.js";
import { textsFor } from "./texts.js";

/**
 * Followers whose update a restart left unanswered. Long polling confirms updates as it fetches
 * them, so an update in hand when a process dies is never delivered again: its sender would wait
 * for ever. Two ways they are found: a credential message has a pending deletion, which stays
 * until its update is answered (intake/shredder.ts); any other update still in hand at the
 * shutdown deadline has its chat written here, for whichever bot process runs next.
 */

/**
 * Tells the sender of a credential message that the sweeper deleted with nobody answering it.
 * Private chats only: a group hears of a deleted key from the deletion itself, and a business
 * chat's other side is the follower's customer.
 */
export function tellUnansweredKey(
  bot: Bot<BotContext>,
  languages: FollowerLanguages,
): (message: MessageAddress) => Promise<void> {
  return async ({ chatId, businessConnectionId }) => {
    if (businessConnectionId !== undefined || chatId <= 0) return;
    await bot.api.sendMessage(chatId, textsFor(await languages.of(chatId)).restartUnansweredKey);
  };
}

/** Chats owed a word after a restart: ids only, in one set that every bot process reads. */
export interface RestartNotices {
  record(chatIds: readonly number[]): Promise<void>;
  /** Takes (once, across processes) up to `limit` chats. */
  take(limit: number): Promise<number[]>;
}

const UNANSWERED_KEY = "{restart}:unanswered";

/** `key` is another set where processes must not share theirs (tests sharing one Redis). */
export function createRestartNotices(redis: RedisClient, key = UNANSWERED_KEY): RestartNotices {
  return {
    async record(chatIds) {
      if (chatIds.length > 0) await redis.sadd(key, ...chatIds.map(String));
    },
    async take(limit) {
      const taken = await redis.spop(key, limit);
      return taken.map(Number).filter(Number.isSafeInteger);
    },
  };
}

export interface TellRestartedDeps {
  notices: RestartNotices;
  api: Api;
  languages: FollowerLanguages;
  logger: Logger;
  metrics: Metrics;
}

const SWEEP_EVERY_MS = 5000;

/** At start-up and every few seconds after (another replica's shutdown): "I was restarted, please send it again". */
export function tellRestarted(deps: TellRestartedDeps): { start(): void; stop(): void } {
  async function sweep(): Promise<void> {
    for (let chats = await deps.notices.take(50); chats.length > 0; chats = await deps.notices.take(50)) {
      await Promise.all(
        chats.map(async (chatId) => {
          deps.metrics.restartNotices.inc({ kind: "in-hand" });
          const texts = textsFor(await deps.languages.of(chatId));
          await deps.api
            .sendMessage(chatId, texts.restartUnanswered)
            .catch((error: unknown) =>
              deps.logger.warn({ err: error, chatId }, "could not tell a follower that the bot restarted"),
            );
        }),
      );
    }
  }
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      const tick = () =>
        sweep().catch((error: unknown) =>
          deps.logger.warn({ err: error }, "could not read the chats owed a word after a restart"),
        );
      void tick();
      timer = setInterval(tick, SWEEP_EVERY_MS).unref();
    },
    stop: () => clearInterval(timer),
  };
}
