import type { Exchanges } from "../exchange/registry.js";
import type { Metrics } from "../metrics/metrics.js";
import type { CredentialRecord, CredentialStore } from "../stores/credential-store.js";
import type { PanicFlow, PanicStore, ReadAccount, RevocationFacts } from "../stores/panic-store.js";

/**
 * The end of a /panic flow, as plain outcomes: the follower says they deleted the key (we believe it
 * only once the exchange refuses it), or gives up on checking ("forget now"). Either way the flow
 * ends: the key, its secret or private key and the snapshot go for good, the facts stay.
 */
export interface RevocationDeps {
  credentials: Pick<CredentialStore, "current">;
  panics: Pick<PanicStore, "flow" | "reveal" | "finish">;
  /** Each key's revocation is checked with its exchange: a few checks a minute per follower (budgets are shared). */
  exchanges: Pick<Exchanges, "of" | "followerCheck">;
  metrics: Metrics;
}

/**
 * A flow ended, by this caller: what to say, then what the account held when it was read (null: it
 * was not read), and whether a working key is connected now. `already-ended`: someone else ended it
 * first (the other button, or the snapshot finding the key dead) and says it; this caller says nothing.
 */
export type Ending =
  | {
      kind: "ended";
      facts: RevocationFacts;
      /** The frozen key's record (nothing secret): its site, for the links. */
      record: CredentialRecord;
      account: ReadAccount | null;
      keyConnected: boolean;
    }
  | { kind: "already-ended" };

/** The flow of the key `ref` has ended already (revoked, forgotten, or its day is up): its button has expired. */
export type FlowGone = { kind: "flow-gone" };

export type Verification =
  | FlowGone
  /** The frozen key cannot be opened, so it cannot be checked (a revocation is never claimed unconfirmed). */
  | { kind: "cannot-check"; flow: PanicFlow }
  /** Too many checks of late: ask again in `seconds`. */
  | { kind: "wait"; seconds: number; flow: PanicFlow }
  /** The exchange could not be asked. */
  | { kind: "verify-failed"; flow: PanicFlow }
  /** The exchange still accepts the key: it has not been deleted (the steps again). */
  | { kind: "still-active"; flow: PanicFlow }
  /** The exchange refuses the key: the flow has ended (`ending`). */
  | { kind: "revoked"; ending: Ending };

export interface VerifyHooks {
  /** Just before the exchange is asked (the chat says "checking…"). */
  checking?(): Promise<unknown>;
  /** The key is dead: what must settle before the flow ends (the chat: its snapshot under way, for the review). */
  beforeEnding?(): Promise<unknown> | undefined;
}

/** "I deleted it": asks the key's exchange whether the key still works, and ends the flow once it does not. */
export async function verifyRevocation(
  deps: RevocationDeps,
  userId: number,
  ref: string,
  hooks: VerifyHooks = {},
): Promise<Verification> {
  const flow = await deps.panics.flow(userId, ref);
  if (!flow) return { kind: "flow-gone" };
  const credentials = await deps.panics.reveal(userId, ref);
  // Never claim a revocation the exchange has not confirmed: a key we cannot open, we cannot check.
  if (!credentials) return { kind: "cannot-check", flow };
  const wait = await deps.exchanges.followerCheck(userId);
  if (wait > 0) return { kind: "wait", seconds: Math.ceil(wait / 1000), flow };
  await hooks.checking?.();
  const liveness = await deps.exchanges.of(flow.record.exchange).isKeyAlive(credentials, flow.record.site);
  deps.metrics.panics.inc({
    outcome: !liveness.ok ? "verify-failed" : liveness.alive ? "still-active" : "revoked-verified",
  });
  if (!liveness.ok) return { kind: "verify-failed", flow };
  if (liveness.alive) return { kind: "still-active", flow };
  await hooks.beforeEnding?.();
  // As it is now: the snapshot may have been recorded, or the flow ended, meanwhile.
  const latest = await deps.panics.flow(userId, ref);
  return { kind: "revoked", ending: latest ? await endFlow(deps, latest, true) : { kind: "already-ended" } };
}

/** "Forget it now": ends the flow without the exchange's word (counted as unverified). */
export async function forgetFlow(deps: RevocationDeps, userId: number, ref: string): Promise<FlowGone | Ending> {
  const flow = await deps.panics.flow(userId, ref);
  if (!flow) return { kind: "flow-gone" };
  // Forgetting needs nothing from the exchange; a snapshot still under way finds the flow ended and says nothing.
  deps.metrics.panics.inc({ outcome: "forgotten-unverified" });
  return endFlow(deps, flow, false);
}

/**
 * Ends `flow` (the key, its secret or private key, and the snapshot go for good, the facts stay).
 * Whoever ends the flow first is told "ended"; a second caller, "already-ended".
 */
export async function endFlow(
  deps: Pick<RevocationDeps, "credentials" | "panics">,
  flow: PanicFlow,
  revokedVerified: boolean,
): Promise<Ending> {
  const { record } = flow;
  const facts = { keyName: record.name, maskedKey: record.maskedKey, frozenAt: flow.frozenAt, revokedVerified };
  if (!(await deps.panics.finish(record.userId, record.ref, facts))) return { kind: "already-ended" };
  const account =
    flow.snapshot.state === "ready" ? { snapshot: flow.snapshot.snapshot, readAt: flow.snapshot.readAt } : null;
  const keyConnected = (await deps.credentials.current(record.userId))?.status === "active";
  return { kind: "ended", facts, record, account, keyConnected };
}
