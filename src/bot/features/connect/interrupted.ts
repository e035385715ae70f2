import type { Api } from "grammy";
import type { Logger } from "pino";
import type { ChecksUnderWay, InterruptedCheck } from "../../../stores/checks.js";
import type { CredentialStore } from "../../../stores/credential-store.js";
import type { PendingKeyPairs } from "../../../stores/key-pairs.js";
import type { FollowerLanguages } from "../../../stores/follower-language.js";
import { textsFor } from "../../texts.js";

export interface InterruptedDeps {
  checksUnderWay: ChecksUnderWay;
  credentials: CredentialStore;
  pendingKeyPairs: PendingKeyPairs;
  /** Drops the follower's flow state: the flow as it stood before the check, waiting for a key that will never come. */
  dropFlowState(userId: number): Promise<void>;
  api: Api;
  languages: FollowerLanguages;
  logger: Logger;
  /** A check whose last beat is this old was cut short. */
  staleAfterMs: number;
  /** How often to look (default 5 s). */
  recoveryBeatMs?: number;
}

const SWEEP_EVERY_MS = 5000;

/**
 * A follower whose key check was cut short by a crash hears what became of it soon after the
 * restart, instead of staring at "Checking the key with Bybit…": whether the key got stored
 * (the save is one Redis step, so it is all or nothing), and what to do next. The flow's state
 * and any key pair waiting for it go.
 */
export function recoverInterruptedChecks(deps: InterruptedDeps): { start(): void; stop(): void } {
  async function settle({ userId, previousRef }: InterruptedCheck): Promise<void> {
    await Promise.all([deps.dropFlowState(userId), deps.pendingKeyPairs.discard(userId)]);
    const current = await deps.credentials.current(userId);
    const stored = current !== null && current.status === "active" && current.ref !== previousRef;
    deps.logger.warn({ userId, stored }, "a key check was cut short by a restart; the follower is told");
    const texts = textsFor(await deps.languages.of(userId));
    await deps.api.sendMessage(
      userId,
      stored ? texts.checkInterruptedStored(current) : texts.checkInterruptedNothingStored,
      { parse_mode: "HTML" },
    );
  }

  async function sweep(): Promise<void> {
    for (const check of await deps.checksUnderWay.claimSilentSince(Date.now() - deps.staleAfterMs, 50)) {
      await settle(check).catch((error: unknown) =>
        deps.logger.warn({ err: error, userId: check.userId }, "could not tell a follower about a check cut short"),
      );
    }
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      const tick = () =>
        sweep().catch((error: unknown) => deps.logger.warn({ err: error }, "could not read the key checks under way"));
      void tick();
      timer = setInterval(tick, deps.recoveryBeatMs ?? SWEEP_EVERY_MS).unref();
    },
    stop: () => clearInterval(timer),
  };
}
