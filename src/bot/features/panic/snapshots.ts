import type { Context } from "grammy";
import type { Logger } from "pino";
import type { Exchanges } from "../../../exchange/registry.js";
import { foreignFills, REVIEW_FILLS_DAYS } from "../../../policy/account.js";
import { DAY_MS } from "../../../policy/key-policy.js";
import type { CredentialStore } from "../../../stores/credential-store.js";
import type { PanicFlow, PanicStore } from "../../../stores/panic-store.js";
import { endFlow } from "../../../use-cases/revocation.js";
import { textsOf } from "../../texts.js";
import { tellEnding, type ReviewSettings } from "./review.js";

export interface SnapshotDeps extends ReviewSettings {
  credentials: CredentialStore;
  panics: PanicStore;
  exchanges: Pick<Exchanges, "of">;
  clock: () => number;
  logger: Logger;
}

/**
 * Revoke first, investigate second: a snapshot starts no sooner than this after its steps went
 * out, and snapshots start one at a time, this far apart. Starting one costs about 4 ms of CPU
 * (eight requests, each on a fresh connection while Bybit is slow); when 100 followers panicked
 * within a second, starting them at once made the steps of those behind wait up to 670 ms.
 * Deleting a key in Bybit takes a follower far longer than the wait.
 */
const SNAPSHOT_DELAY_MS = 250;
const SNAPSHOT_SPACING_MS = 15;

export interface Snapshots {
  /**
   * Reads the account with the frozen key, records it, and tells the follower; finishes the flow if
   * Bybit already refuses the key. Starts once `after` has settled (the steps are on screen first).
   */
  start(ctx: Context, flow: PanicFlow, after?: Promise<unknown>): void;
  /** The snapshot of this key under way in this process, if any. */
  running(ref: string): Promise<void> | undefined;
}

export function createSnapshots(deps: SnapshotDeps): Snapshots {
  const underWay = new Map<string, Promise<void>>();
  let nextStart = 0;
  const pace = () => {
    const now = performance.now();
    const start = Math.max(now + SNAPSHOT_DELAY_MS, nextStart);
    nextStart = start + SNAPSHOT_SPACING_MS;
    return new Promise((resolve) => setTimeout(resolve, start - now));
  };

  async function read(ctx: Context, flow: PanicFlow, after: Promise<unknown>): Promise<void> {
    const { userId, ref } = flow.record;
    const texts = textsOf(ctx);
    await after.catch(() => undefined);
    await pace();
    const credentials = await deps.panics.reveal(userId, ref);
    const readAt = deps.clock();
    // Fills up to now: Bybit's window runs seven days from startTime.
    const since = readAt - REVIEW_FILLS_DAYS * DAY_MS;
    const { exchange, site } = flow.record;
    const result = credentials ? await deps.exchanges.of(exchange).snapshot(credentials, since, site) : null;
    if (result && !result.ok && (result.failure === "invalid-key" || result.failure === "expired")) {
      return tellEnding(ctx, deps, await endFlow(deps, flow, true), texts.keyAlreadyDead(flow.record));
    }
    await deps.panics.recordSnapshot(userId, ref, result?.ok ? { snapshot: result.snapshot, readAt } : null);
    if (!(await deps.panics.flow(userId, ref))) return;
    await ctx.reply(
      result?.ok
        ? texts.snapshotTaken(result.snapshot, foreignFills(result.snapshot.fills, deps.orderLinkIdPrefix).length)
        : texts.snapshotFailed,
    );
  }

  return {
    start(ctx, flow, after = Promise.resolve()) {
      const { userId, ref } = flow.record;
      // Registered before anything is awaited: a second /panic a moment later finds it under way.
      const task: Promise<void> = read(ctx, flow, after)
        .catch((error: unknown) => deps.logger.error({ err: error, userId }, "the /panic account snapshot failed"))
        .finally(() => {
          if (underWay.get(ref) === task) underWay.delete(ref);
        });
      underWay.set(ref, task);
    },
    running: (ref) => underWay.get(ref),
  };
}
