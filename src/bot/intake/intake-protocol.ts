/** What the main thread and long polling's thread (intake-thread.ts) say to each other. */
import type { MessageAddress } from "./carriers.js";
import type { DeleteOutcome } from "./fast-delete.js";

export interface IntakeData {
  apiRoot: string;
  token: string;
}

/** A credential message of a fetched batch whose deletion the thread asked for, `issuedAfterMs` after the batch arrived. */
export interface Shredded {
  address: MessageAddress;
  issuedAfterMs: number;
}

/** A getUpdates call (the thread is ended, not told, when polling stops). */
export interface ToIntake {
  kind: "fetch";
  id: number;
  payload: Record<string, unknown>;
}

export type FromIntake =
  /** Its code is loaded: a failure from now on is no failure to start. */
  | { kind: "ready" }
  /** A batch's answer, handed over once its deletion requests are on the wire. */
  | { kind: "fetched"; id: number; status: number; text: string; shredded: Shredded[] }
  /** No answer (network, timeout): the runner tries again. */
  | { kind: "failed"; id: number }
  /** How first deletion requests ended, by their message's shredding id: those answered since the last word. */
  | { kind: "deleted"; outcomes: [key: string, outcome: DeleteOutcome][] };
