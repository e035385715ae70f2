// What the connect use case (connect.ts) takes and answers: its parts, what the follower gave, and the outcome.
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import type { ExchangeFailure } from "../exchange/port.js";
import type { Exchanges } from "../exchange/registry.js";
import type { Reminders } from "../reminders/schedule.js";
import type { SharedKeys } from "../key-watch/shared-keys.js";
import type { AuditTrail } from "../audit/trail.js";
import type { Credentials } from "../policy/api-key.js";
import type { PolicyWarning, RefusalReason } from "../policy/key-policy.js";
import type { ReminderTimes, RotationRules } from "../policy/rotation.js";
import type { CredentialRecord, CredentialStore, KeyArrival } from "../stores/credential-store.js";
import type { KeyDenylist } from "../stores/denylist.js";
import type { PendingKeyPairs } from "../stores/key-pairs.js";

export interface AdmitDeps {
  credentials: CredentialStore;
  /** New keys are checked with the main one; a few checks a minute per follower (budgets are shared by everyone). */
  exchanges: Pick<Exchanges, "main" | "followerCheck" | "mayFindSite">;
  pendingKeyPairs: PendingKeyPairs;
  denylist: KeyDenylist;
  reminders: Reminders;
  clock: () => number;
  egressIps: readonly string[];
  rotation: RotationRules;
  logger: Logger;
  metrics: Metrics;
  audit: AuditTrail;
  /** A key that works and is held by someone else has leaked: every copy of it is frozen and denied. */
  sharedKeys: Pick<SharedKeys, "freezeOthers">;
}

/**
 * What the follower gave us: a key with its secret, or a self-generated key made from the pair we issued them.
 * `origin: "oauth"`: the exchange issued the key and secret to our broker app (Connect with Bybit): it must be
 * bound to exactly our IPs, and the record and its events say how it came.
 */
export type KeySource =
  { type: "hmac"; credentials: Credentials; origin?: KeyArrival } | { type: "rsa"; apiKey: string };

/**
 * Why a key was not connected, as plain facts: the chat renders them in the follower's language
 * (wording/connect.ts), and a web page or a callback can render them its own way.
 */
export type Refusal =
  /** Not checked at all: too many checks of late. */
  | { kind: "too-many-checks"; waitSeconds: number }
  /** Frozen as leaked before (denylisted). */
  | { kind: "denied" }
  /** Connected by another follower: shared or leaked (named to no one). Where the key lives, to delete it there. */
  | { kind: "shared"; exchange: string; site: string }
  /**
   * The exchange refused it, or could not be asked; `site`: the exchange's site that answered, when known;
   * `searched: false`: only the main site was asked (the follower's searches over sites are spent for now).
   */
  | {
      kind: "exchange";
      failure: ExchangeFailure;
      keyType: KeySource["type"];
      exchange: string;
      site?: string;
      searched?: false;
    }
  /** The very key already in use. */
  | { kind: "same-key" }
  /** The exchange answered, and the answer breaks our rules (a money permission, an IP binding, …). */
  | { kind: "policy"; keyName: string; reasons: RefusalReason[] };

/** The outcome of checking a key, kept in the conversation's (sealed) state: never a secret or a private key. */
export type Admission =
  | {
      outcome: "connected";
      record: CredentialRecord;
      equityUsd: string | null;
      warnings: PolicyWarning[];
      times: ReminderTimes | null;
      now: number;
    }
  /** `held`: not checked at all, so no wrong try. `why`: what the metrics count (codes, nothing the follower sent). */
  | {
      outcome: "refused";
      refusal: Refusal;
      why: string[];
      held?: boolean;
      current?: CredentialRecord | null;
      /** The refused key was issued to our broker app: the follower cannot fix it, only delete it. */
      origin?: KeyArrival;
    }
  | { outcome: "pair-expired" }
  | { outcome: "panicked" }
  | { outcome: "save-failed" };

/** Where the flow stands: the key it may replace (rotating: the one being replaced), and the /panic count then. */
export interface FlowFacts {
  previous: CredentialRecord | null;
  panicEpoch: number;
  /** The exchange's site the follower named (`/connect tr`): the key is checked there alone. */
  site?: string;
}
