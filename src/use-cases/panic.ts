import type { Logger } from "pino";
import type { SharedKeys } from "../key-watch/shared-keys.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Reminders } from "../reminders/schedule.js";
import type { CredentialRecord, CredentialStore } from "../stores/credential-store.js";
import type { KeyDenylist } from "../stores/denylist.js";
import type { PanicStepsOwed } from "../stores/panic-steps.js";
import type { FrozenBy, PanicFlow, PanicStore } from "../stores/panic-store.js";

/**
 * `/panic`, as decisions and plain outcomes: revoke first, investigate second. `panic` says what to do
 * (freeze the connected key, ask first, or nothing); `freezeKey` takes the key out of service at
 * once. Whoever calls them (the chat, a page) shows the revoke steps; the revocation itself is
 * confirmed with the exchange later (revocation.ts). Neither waits on the exchange.
 */
export interface PanicDecisionDeps {
  credentials: Pick<CredentialStore, "current" | "bumpPanicEpoch">;
  panics: Pick<PanicStore, "open">;
  metrics: Metrics;
}

export interface FreezeDeps {
  credentials: Pick<CredentialStore, "current">;
  panics: Pick<PanicStore, "freeze" | "flow">;
  denylist: Pick<KeyDenylist, "add">;
  /** Takes the frozen key out of every other follower's slot that holds it too. */
  sharedKeys: Pick<SharedKeys, "freezeOthers">;
  reminders: Pick<Reminders, "cancel">;
  /** Steps owed until shown: a restart in between has them sent again (bot/features/panic/resend-steps.ts). */
  panicSteps: Pick<PanicStepsOwed, "owe" | "sent">;
  clock: () => number;
  logger: Logger;
  metrics: Metrics;
}

/** What /panic does. `open`: keys frozen before and still open, oldest first; each flow goes on where it was. */
export type PanicStart = { open: PanicFlow[] } &
  /** No key connected, none frozen: nothing to do. */
  (
    | { kind: "no-key" }
    /** Freeze the connected key now (`freezeKey`), after showing the open flows' steps again. */
    | { kind: "freeze"; current: CredentialRecord }
    /** Connected after an open flow began, so most likely the fresh one: ask before freezing it (`freezeTooPress`). */
    | { kind: "newer-key"; current: CredentialRecord }
    /** No key connected: the open flows alone. */
    | { kind: "open-only" }
  );

/** Counts the /panic (a key under check from before it is not stored), then says what to freeze. */
export async function panic(deps: PanicDecisionDeps, userId: number): Promise<PanicStart> {
  const [, current, open] = await Promise.all([
    // Stops a key check under way from storing its key; a Redis refusing writes refuses the freeze too.
    deps.credentials.bumpPanicEpoch(userId).catch(() => undefined),
    deps.credentials.current(userId),
    deps.panics.open(userId),
  ]);
  if (!current) {
    if (open.length > 0) return { kind: "open-only", open };
    deps.metrics.panics.inc({ outcome: "no-key" });
    return { kind: "no-key", open };
  }
  // A key connected after an open flow began is most likely the fresh one: ask before freezing it.
  if (open.some((flow) => flow.frozenAt <= current.connectedAt)) return { kind: "newer-key", current, open };
  return { kind: "freeze", current, open };
}

/** "Freeze it too", pressed: only for the key it asked about, still connected. */
export type FreezeTooPress = { kind: "freeze"; current: CredentialRecord } | { kind: "expired" };

export async function freezeTooPress(
  deps: Pick<PanicDecisionDeps, "credentials">,
  userId: number,
  ref: string,
): Promise<FreezeTooPress> {
  const current = await deps.credentials.current(userId);
  return current && current.ref === ref ? { kind: "freeze", current } : { kind: "expired" };
}

export type FreezeOutcome =
  /**
   * Frozen by this call: show the revoke steps for `flow.record`, beating `panicSteps` while they go out
   * and saying `panicSteps.sent` once shown (they are owed from before the freeze). `housekeeping`
   * (the reminders gone, the key denied for good, every other copy frozen) is under way and need not
   * hold up the steps: await it after them (its failure is the caller's to report).
   */
  | { kind: "frozen"; flow: PanicFlow; housekeeping: Promise<void> }
  /**
   * Not in the slot any more: frozen a moment ago by another /panic of the same follower (`flow`: show
   * its steps again), or replaced or disconnected (null). Nothing is owed for this call.
   */
  | { kind: "raced"; flow: PanicFlow | null }
  /**
   * Redis refused the freeze (at its memory limit, or gone): the key still works. The caller says at once
   * to delete it in the exchange, which stops it for good, and tries again (`{ retry: true }`).
   */
  | { kind: "not-frozen" }
  /** Retrying only: the key left the slot or stopped working meanwhile; nothing is left to freeze, or to say. */
  | { kind: "gone" };

/**
 * Takes `record` out of service: out of the follower's slot into a flow of its own, its reminders
 * gone, its exchange id denied for good. `retry`: a try again after "not-frozen", which is counted
 * and logged once, and first looks whether the key is still there to freeze. `by`: who froze it (the flow
 * and its event say so; steps sent again after a restart say why).
 */
export async function freezeKey(
  deps: FreezeDeps,
  record: CredentialRecord,
  { retry = false, by = "panic" }: { retry?: boolean; by?: FrozenBy } = {},
): Promise<FreezeOutcome> {
  if (retry) {
    // Replaced, disconnected or frozen by another /panic meanwhile: nothing is left to freeze here.
    const current = await deps.credentials.current(record.userId);
    if (current?.ref !== record.ref || current.status !== "active") return { kind: "gone" };
  }
  const owed = { userId: record.userId, ref: record.ref };
  let flow: PanicFlow | null;
  try {
    // Owed before the freeze: a crash at any moment after it has the steps sent again.
    // Wall time: processes die in real time.
    await deps.panicSteps.owe(owed, Date.now());
    flow = await deps.panics.freeze(record.userId, record.ref, deps.clock(), by);
  } catch (error) {
    if (retry) return { kind: "not-frozen" };
    // Redis refuses writes (at its memory limit, or gone): revoke first, in the exchange, and we follow.
    deps.logger.error({ err: error, userId: record.userId }, "could not freeze a key at /panic; trying again");
    deps.metrics.panics.inc({ outcome: "not-frozen" });
    return { kind: "not-frozen" };
  }
  deps.metrics.panics.inc({ outcome: flow ? "frozen" : "raced" });
  if (!flow) {
    await deps.panicSteps.sent(owed);
    // Frozen a moment ago by another /panic of the same follower: its steps, again.
    return { kind: "raced", flow: await deps.panics.flow(record.userId, record.ref) };
  }
  // Out of the slot, the key is out of service: not even a reminder due now can use it. So the
  // steps need not wait for the reminders to go, nor for the denylist, nor for any other copy of the key to be
  // frozen. A copy left active by a failure here is refused by the engine (denied) and frozen by the watch or the
  // reconciliation, which look for it.
  const denied = deps.denylist.add(record).then(() =>
    deps.sharedKeys.freezeOthers(record).catch((error: unknown) => {
      deps.logger.error(
        { err: error, userId: record.userId },
        "could not freeze the other copies of a key frozen by /panic",
      );
    }),
  );
  const housekeeping = Promise.all([deps.reminders.cancel(record), denied]).then(() => undefined);
  // Handled here too, so that a caller that answered without awaiting it does not crash the process;
  // whoever awaits it still sees its failure.
  housekeeping.catch(() => undefined);
  return { kind: "frozen", flow, housekeeping };
}
