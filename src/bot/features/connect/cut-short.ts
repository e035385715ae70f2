import type { Api } from "grammy";
import type { Logger } from "pino";
import type { ChecksUnderWay, InterruptedCheck } from "../../../stores/checks.js";
import type { CredentialStore } from "../../../stores/credential-store.js";
import type { FollowerLanguages } from "../../../stores/follower-language.js";
import type { PendingKeyPairs } from "../../../stores/key-pairs.js";
import { textsFor } from "../../texts.js";

export interface CutShortDeps {
  checksUnderWay: ChecksUnderWay;
  credentials: CredentialStore;
  pendingKeyPairs: PendingKeyPairs;
  api: Api;
  languages: FollowerLanguages;
  logger: Logger;
}

/**
 * A check that a Redis fault cut short. `recorded`: its record under way (stores/checks.ts) is still there
 * for this process to take away; false once taken, while the word to the follower waits for Telegram.
 */
export interface OwedCheck extends InterruptedCheck {
  recorded: boolean;
}

export interface CutShortChecks {
  /** The follower is owed the outcome of this check: told once Redis takes writes again. */
  owe(check: OwedCheck): void;
  start(): void;
  stop(): void;
}

const TRY_EVERY_MS = 500;

/**
 * Followers whose key check a Redis fault cut short (Redis at its memory limit refusing the save,
 * or failing over), kept in this process until Redis takes writes again: then each hears the
 * truth, read from Redis, once: the key was stored ("Connected") or not (send it again). Until
 * then the check's record under way stays, and no other process claims it while Redis refuses
 * writes (stores/checks.ts): if this process dies meanwhile, the crash sweep (interrupted.ts) tells
 * the follower instead. Whoever takes the record away tells. (A check that could not even write its
 * record is answered at once by the connect flow, and never owed here.)
 */
export function tellCutShortChecks(deps: CutShortDeps): CutShortChecks {
  const owed = new Map<number, OwedCheck>();
  let running = false;

  async function settle(check: OwedCheck): Promise<void> {
    const { userId, previousRef } = check;
    // A write: refused while Redis still refuses writes, and the check is tried again later.
    // It keeps the record fresh, too, so that the crash sweep does not take it meanwhile.
    await deps.checksUnderWay.beat(userId, previousRef, Date.now());
    if (check.recorded) {
      const ours = await deps.checksUnderWay.end(userId, previousRef);
      // Claimed by the crash sweep, which has told the follower.
      if (!ours) return void owed.delete(userId);
      owed.set(userId, { ...check, recorded: false });
    }
    await deps.pendingKeyPairs.discard(userId);
    const current = await deps.credentials.current(userId);
    const stored = current !== null && current.status === "active" && current.ref !== previousRef;
    const texts = textsFor(await deps.languages.of(userId));
    const words = stored ? texts.checkCutShortStored(current) : texts.checkCutShortNotStored;
    await deps.api.sendMessage(userId, words, { parse_mode: "HTML" });
    deps.logger.warn({ userId, stored }, "a key check was cut short by a Redis fault; the follower is told");
    owed.delete(userId);
  }

  async function tick(): Promise<void> {
    if (running || owed.size === 0) return;
    running = true;
    try {
      for (const check of [...owed.values()]) {
        // Redis may refuse one follower's write and not the next (a Cluster): each is tried on its own.
        await settle(check).catch((error: unknown) =>
          deps.logger.debug({ err: error, userId: check.userId }, "a check cut short waits for Redis"),
        );
      }
    } finally {
      running = false;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    owe(check) {
      owed.set(check.userId, check);
    },
    start() {
      timer = setInterval(() => void tick(), TRY_EVERY_MS).unref();
    },
    stop: () => clearInterval(timer),
  };
}
