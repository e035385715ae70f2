import type { Api } from "grammy";
import type { Update } from "grammy/types";
import { pause } from "../../infra/pause.js";
import { containsCredentialLike } from "../../policy/credential-guard.js";
import { carriedText, type MessageAddress } from "./carriers.js";
import type { Shredder } from "./shredder.js";

/** How long a batch waits for its pending-deletion records before it is handled all the same (Redis away). */
const RECORDS_WAIT_MS = 2000;

/**
 * With long polling, starts deleting credential-like messages the moment a batch of updates
 * arrives, before any update of the batch is handled: under a burst, the handling of one
 * follower's update must not delay the deletion of another's secret.
 *
 * The batch goes on to be handled only once each deletion's pending record is in Redis (written
 * right after its request is on the wire). Telegram takes a batch as delivered only when the next
 * getUpdates asks past it, which waits for this: a crash before a record is written leaves the
 * update undelivered, and the next process gets it again and deletes the message then.
 */
export function shredAtIntake(api: Api, shredder: Shredder): void {
  api.config.use(async (previous, method, payload, signal) => {
    const response = await previous(method, payload, signal);
    const receivedAt = performance.now();
    if (method === "getUpdates" && response.ok) {
      const shredded: MessageAddress[] = [];
      for (const update of response.result as Update[]) {
        const carried = carriedText(update);
        if (carried && containsCredentialLike(carried.text)) shredded.push(carried);
      }
      if (shredded.length > 0) await recordedOrLate(shredder.shredBatch(shredded, receivedAt));
    }
    return response;
  });
}

async function recordedOrLate(recorded: Promise<void>): Promise<void> {
  const settled = new AbortController();
  await Promise.race([recorded, pause(RECORDS_WAIT_MS, settled.signal)]);
  settled.abort();
}
