import type { Api } from "grammy";
import type { Update } from "grammy/types";
import { containsCredentialLike } from "../../policy/credential-guard.js";
import { carriedText } from "./carriers.js";
import type { Shredder } from "./shredder.js";

/**
 * With long polling, starts deleting credential-like messages the moment a batch of updates
 * arrives, before any update of the batch is handled: under a burst, the handling of one
 * follower's update must not delay the deletion of another's secret.
 */
export function shredAtIntake(api: Api, shredder: Shredder): void {
  api.config.use(async (previous, method, payload, signal) => {
    const response = await previous(method, payload, signal);
    const receivedAt = performance.now();
    if (method === "getUpdates" && response.ok) {
      let shredding = false;
      for (const update of response.result as Update[]) {
        const carried = carriedText(update);
        if (!carried || !containsCredentialLike(carried.text)) continue;
        void shredder.shred(carried, receivedAt);
        shredding = true;
      }
      // Node hands a request its socket on the next tick; without this pause, the handling of the
      // whole batch would run first and the deletions would leave only after it.
      if (shredding) await new Promise((resolve) => setImmediate(resolve));
    }
    return response;
  });
}
