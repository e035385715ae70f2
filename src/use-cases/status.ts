import { reminderTimes, type ReminderTimes, type RotationRules } from "../policy/rotation.js";
import type { CredentialRecord, CredentialStore } from "../stores/credential-store.js";
import type { PanicFlow, PanicStore, RevocationFacts } from "../stores/panic-store.js";

export interface StatusDeps {
  credentials: Pick<CredentialStore, "current">;
  panics: Pick<PanicStore, "open" | "revocation">;
  rotation: RotationRules;
  clock: () => number;
}

/**
 * What a follower's keys look like now, as plain facts: the chat renders them with the locale files
 * (`/status`), and a status page can render the same. `frozen`: the keys frozen by /panic whose
 * flow is still open (not yet deleted in the exchange, or not yet forgotten), oldest first.
 */
export type Status =
  /** A key in the follower's slot (its `status` says whether it still works), and when each reminder comes. */
  | { kind: "connected"; record: CredentialRecord; reminders: ReminderTimes; now: number; frozen: PanicFlow[] }
  /** No key in the slot; what became of the last key frozen with /panic, if any. */
  | { kind: "none"; lastRevoked: RevocationFacts | null; frozen: PanicFlow[] };

export async function status(deps: StatusDeps, userId: number): Promise<Status> {
  const [record, frozen] = await Promise.all([deps.credentials.current(userId), deps.panics.open(userId)]);
  if (!record) return { kind: "none", lastRevoked: await deps.panics.revocation(userId), frozen };
  return { kind: "connected", record, reminders: reminderTimes(record, deps.rotation), now: deps.clock(), frozen };
}
