import type { Redis } from "ioredis";
import type { AccountSnapshot } from "../policy/account.js";
import { credentialKey } from "./credential-store.js";
import type { Sealer } from "./sealer.js";

/** A `/panic` walk-through under way: which buttons are current, and what the account held when it began. */
export interface PanicFlow {
  /** Random per flow: buttons of an earlier or another follower's flow carry another id. */
  flowId: string;
  /** The credential being revoked: a key connected since is not this flow's business. */
  ref: string;
  frozenAt: number;
  snapshot: AccountSnapshot | null;
}

/** What is kept of a key after `/panic`: nothing that could use it. */
export interface RevocationFacts {
  keyName: string;
  maskedKey: string;
  frozenAt: number;
  revokedVerified: boolean;
}

export interface FollowerStore {
  beginPanic(userId: number, flow: PanicFlow): Promise<void>;
  panic(userId: number): Promise<PanicFlow | null>;
  /** Ends the flow in one transaction: the credential (sealed key and secret) and the snapshot go, the facts stay. */
  finishPanic(userId: number, facts: RevocationFacts): Promise<void>;
  revocation(userId: number): Promise<RevocationFacts | null>;
  /** Deletes every key this service holds about the follower. */
  forget(userId: number): Promise<void>;
}

/** An unfinished walk-through, snapshot included, does not outlive a day. */
const PANIC_TTL_SECONDS = 24 * 3600;

const panicKey = (userId: number) => `follower:{${userId}}:panic`;
const factsKey = (userId: number) => `follower:{${userId}}:revoked-key`;
const snapshotContext = (userId: number, flowId: string) => `user=${userId}|purpose=panic-snapshot|flow=${flowId}`;

export function createFollowerStore(redis: Redis, sealer: Sealer): FollowerStore {
  return {
    async beginPanic(userId, { flowId, ref, frozenAt, snapshot }) {
      const sealed = sealer.seal(Buffer.from(JSON.stringify(snapshot)), snapshotContext(userId, flowId));
      await redis
        .multi()
        .del(panicKey(userId))
        .hset(panicKey(userId), { flowId, ref, frozenAt: String(frozenAt), snapshot: sealed })
        .expire(panicKey(userId), PANIC_TTL_SECONDS)
        .exec();
    },

    async panic(userId) {
      const { flowId, ref, frozenAt, snapshot } = await redis.hgetallBuffer(panicKey(userId));
      if (!flowId || !ref || !frozenAt || !snapshot) return null;
      const id = flowId.toString();
      const opened = sealer.open(snapshot, snapshotContext(userId, id)).toString("utf8");
      return { flowId: id, ref: ref.toString(), frozenAt: Number(frozenAt.toString()), snapshot: JSON.parse(opened) as AccountSnapshot | null };
    },

    async finishPanic(userId, facts) {
      await redis
        .multi()
        .del(credentialKey(userId), panicKey(userId))
        .hset(factsKey(userId), {
          keyName: facts.keyName,
          maskedKey: facts.maskedKey,
          frozenAt: String(facts.frozenAt),
          revokedVerified: facts.revokedVerified ? "yes" : "no",
        })
        .exec();
    },

    async revocation(userId) {
      const fields = await redis.hgetall(factsKey(userId));
      if (!fields.keyName) return null;
      return {
        keyName: fields.keyName,
        maskedKey: fields.maskedKey ?? "",
        frozenAt: Number(fields.frozenAt),
        revokedVerified: fields.revokedVerified === "yes",
      };
    },

    async forget(userId) {
      // Every key about a follower carries their hash tag, so one pattern finds them all.
      for await (const keys of redis.scanStream({ match: `follower:{${userId}}:*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
    },
  };
}
