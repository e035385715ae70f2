import type { MiddlewareFn } from "grammy";
import type { BotContext } from "./context.js";

/**
 * The updates being handled in this process. The runner's stop ends fetching, not the handling of
 * what it fetched: a shutdown waits here too (within its bound), so that a key check under way
 * ends with its answer rather than with the process.
 */
export function inFlightUpdates(): { middleware: MiddlewareFn<BotContext>; idle(): Promise<void> } {
  const running = new Set<Promise<unknown>>();
  return {
    middleware: (_ctx, next) => {
      const handling = next();
      running.add(handling);
      return handling.finally(() => running.delete(handling));
    },
    idle: async () => {
      await Promise.allSettled([...running]);
    },
  };
}
