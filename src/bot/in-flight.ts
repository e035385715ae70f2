import type { MiddlewareFn } from "grammy";
import type { BotContext } from "./context.js";

/** The updates being handled here, and what a shutdown needs of them. */
export interface InFlight {
  middleware: MiddlewareFn<BotContext>;
  idle(): Promise<void>;
  /** The updates in hand right now (at the shutdown deadline: those that will go unanswered). */
  inHand(): BotContext[];
}

/**
 * The updates being handled in this process. The runner's stop ends fetching, not the handling of
 * what it fetched: a shutdown waits here too (within its bound), so that a key check under way
 * ends with its answer rather than with the process. `handled` hears of each update once its
 * handling ended, however it ended.
 */
export function inFlightUpdates(handled: (ctx: BotContext) => void = () => undefined): InFlight {
  const running = new Map<Promise<unknown>, BotContext>();
  return {
    middleware: (ctx, next) => {
      const handling = next();
      running.set(handling, ctx);
      return handling.finally(() => {
        running.delete(handling);
        handled(ctx);
      });
    },
    idle: async () => {
      await Promise.allSettled([...running.keys()]);
    },
    inHand: () => [...running.values()],
  };
}
