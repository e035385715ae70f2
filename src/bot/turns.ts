import type { MiddlewareFn } from "grammy";

/**
 * Hands out turns one per event-loop iteration. Under a burst, hundreds of updates become
 * ready at once (one Redis reply can resume them all), and running them back to back would
 * keep the loop from reading the next batch of updates, whose secrets then wait in the chat.
 * Between two turns, Node reads the network, so intake and deletions are never stuck behind
 * the CPU work of other followers.
 */
export function takeTurns(): MiddlewareFn {
  const waiting: (() => void)[] = [];
  let pumping = false;
  const pump = () => {
    waiting.shift()?.();
    if (waiting.length > 0) setImmediate(pump);
    else pumping = false;
  };
  return async (_ctx, next) => {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (!pumping) {
        pumping = true;
        setImmediate(pump);
      }
    });
    await next();
  };
}
