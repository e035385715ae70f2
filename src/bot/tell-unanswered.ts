import { GrammyError, type Api, type Bot } from "grammy";
import type { Logger } from "pino";
import type { RedisClient } from "../infra/redis.js";
import { leaseDue } from "../infra/sorted-leases.js";
import type { Metrics } from "../metrics/metrics.js";
import type { FollowerLanguages } from "../stores/follower-language.js";
import type { PanicStepsOwed } from "../stores/panic-steps.js";
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

/** Chats owed a word after a restart: ids only, in one sorted set that every bot process reads. */
export interface RestartNotices {
  record(chatIds: readonly number[]): Promise<void>;
  /**
   * Takes up to `limit` chats for `leaseMs` (no other process takes them meanwhile); each stays owed
   * until `told`, so one whose teller died is taken again after the lease.
   */
  take(limit: number, leaseMs: number): Promise<number[]>;
  told(chatId: number): Promise<void>;
}

/** A sorted set by when each chat may be taken (a new name: the set of before was not sorted). */
const UNANSWERED_KEY = "{restart}:owed";

/** `key` is another set where processes must not share theirs (tests sharing one Redis). */
export function createRestartNotices(redis: RedisClient, key = UNANSWERED_KEY): RestartNotices {
  return {
    async record(chatIds) {
      if (chatIds.length > 0) await redis.zadd(key, "NX", ...chatIds.flatMap((chatId) => [Date.now(), String(chatId)]));
    },
    async take(limit, leaseMs) {
      const now = Date.now();
      const taken = await leaseDue(redis, key, now, limit, now + leaseMs);
      return taken.map(Number).filter(Number.isSafeInteger);
    },
    async told(chatId) {
      await redis.zrem(key, String(chatId));
    },
  };
}

export interface TellRestartedDeps {
  notices: RestartNotices;
  /** A follower owed their /panic steps hears of the restart with them, not twice. */
  panicSteps: Pick<PanicStepsOwed, "owesTo">;
  api: Api;
  languages: FollowerLanguages;
  logger: Logger;
  metrics: Metrics;
  /** How often to look (default 5 s). */
  recoveryBeatMs?: number;
}

const SWEEP_EVERY_MS = 5000;
/** How long a teller holds a chat, in sweeps: longer than a send takes, so two processes never both tell it. */
const TELL_LEASE_SWEEPS = 2;

/** At start-up and every few seconds after (another replica's shutdown): "I was restarted, please send it again". */
export function tellRestarted(deps: TellRestartedDeps): { start(): void; stop(): void } {
  const everyMs = deps.recoveryBeatMs ?? SWEEP_EVERY_MS;
  async function sweep(): Promise<void> {
    const take = () => deps.notices.take(50, TELL_LEASE_SWEEPS * everyMs);
    for (let chats = await take(); chats.length > 0; chats = await take()) {
      await Promise.all(
        chats.map(async (chatId) => {
          if (await deps.panicSteps.owesTo(chatId)) return deps.notices.told(chatId);
          deps.metrics.restartNotices.inc({ kind: "in-hand" });
          const texts = textsFor(await deps.languages.of(chatId));
          try {
            await deps.api.sendMessage(chatId, texts.restartUnanswered);
          } catch (error) {
            deps.logger.warn({ err: error, chatId }, "could not tell a follower that the bot restarted");
            // Telegram's "no" (blocked, chat gone) stays no; anything else is tried again after the lease.
            if (!(error instanceof GrammyError)) return;
          }
          await deps.notices.told(chatId);
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
      timer = setInterval(tick, everyMs).unref();
    },
    stop: () => clearInterval(timer),
  };
}
