import { evalCached } from "../infra/lua.js";
import { pause } from "../infra/pause.js";
import { randomUUID } from "node:crypto";
import { Cluster } from "ioredis";
import { scanKeys, type RedisClient } from "../infra/redis.js";
import type { Logger } from "pino";
import type { AuditTrail } from "../audit/trail.js";
import { followerKeys } from "../infra/redis-keys.js";
import { eventKeys, type EventKeys } from "./outbox.js";

export interface EventRelayOptions {
  redis: RedisClient;
  keys?: EventKeys;
  logger: Logger;
  /**
   * The longest the relay holding the lease waits for a nudge before it looks anyway (ms; at most half
   * the lease, a second); a relay without the lease tries for it this often, at most every 500 ms.
   */
  everyMs?: number;
  /** How often it looks through every outbox for events whose nudge was lost to a crash (ms; 0: never). */
  sweepEveryMs?: number;
  /** How long the engine's stream keeps an event (ms): an engine away for longer must resync. */
  retentionMs?: number;
  /** Where each event is also recorded, after it reached the engine's stream. */
  audit?: Pick<AuditTrail, "append">;
}

/**
 * It used to look every 50 ms, nudged or not: two round trips 20 times a second, the larger part
 * of an idle bot's CPU (28 ms a second). Now the relay holding the lease blocks on the wake list
 * (BLPOP on a connection of its own) and is woken by the nudge itself.
 */
const EVERY_MS = 1000;
const TRY_LEASE_EVERY_MS = 500;
const SWEEP_EVERY_MS = 5 * 60_000;
export const EVENT_RETENTION_MS = 7 * 86_400_000;
/** A relay that dies holds the others back this long at most. */
const LEASE_MS = 2000;
const BATCH = 100;
/** Followers looked at in one round. */
const ROUND = 1000;
/** Followers drained at once: one follower's events always by one task, in order. */
const PARALLEL = 32;

/** KEYS: the lease. ARGV: token, ms. Takes the lease, or keeps it for its holder. */
const HOLD_LEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
if redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return 1 end
return 0`;

/** KEYS: pending. ARGV: follower, the count read before draining. A nudge since then keeps the follower pending. */
const DONE_IF_UNCHANGED = `
if redis.call("ZSCORE", KEYS[1], ARGV[1]) == ARGV[2] then return redis.call("ZREM", KEYS[1], ARGV[1]) end
return 0`;

/**
 * KEYS: the lease, the stream. ARGV: token, lease ms, min id, then per event: its id, its field
 * count, its fields. Copies only while this relay holds the lease (a fence: a relay that stalled
 * past its lease writes nothing, so an old copy never lands after a newer event), and renews it.
 */
const COPY_IF_LEASED = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
local i = 4
while i <= #ARGV do
  local count = tonumber(ARGV[i + 1])
  redis.call("XADD", KEYS[2], "MINID", "~", ARGV[3], "*", "eventId", ARGV[i], unpack(ARGV, i + 2, i + 1 + count))
  i = i + 2 + count
end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return 1`;

/**
 * KEYS: the outbox. Deleted only when empty after "forgotten": otherwise an emptied outbox stays
 * (a few bytes), keeping its last id, so that the next event's id is always higher (a stream made
 * anew takes its ids from the clock alone, and might repeat one).
 */
const DELETE_IF_FORGOTTEN = `
if redis.call("XLEN", KEYS[1]) == 0 then return redis.call("DEL", KEYS[1]) end
return 0`;

/**
 * Moves key events from followers' outboxes to the one stream the engine reads, at least once and
 * in order per follower: one relay at a time (a lease, checked in the very script that copies), each
 * follower's outbox in order by one task (32 followers at once), an entry deleted from the outbox
 * only once it is in the stream (a crash in between sends it again, right behind the first copy;
 * the `eventId` field tells the copies apart). Runs in every worker process; one holds the lease.
 */
export function startEventRelay(options: EventRelayOptions): { stop(): Promise<void> } {
  const { redis, logger } = options;
  const keys = options.keys ?? eventKeys();
  const retentionMs = options.retentionMs ?? EVENT_RETENTION_MS;
  const token = randomUUID();
  let stopped = false;

  class LeaseLost extends Error {}

  /** Moves the follower's events on; true when the last one moved says the follower was forgotten. */
  async function drain(userId: string): Promise<boolean> {
    const outbox = followerKeys(Number(userId)).outbox;
    let forgotten = false;
    for (;;) {
      const entries = await redis.xrange(outbox, "-", "+", "COUNT", BATCH);
      if (entries.length === 0) return forgotten;
      const args = entries.flatMap(([id, fields]) => [`${userId}-${id}`, String(fields.length), ...fields]);
      if (
        (await evalCached(
          redis,
          COPY_IF_LEASED,
          2,
          keys.relayLock,
          keys.stream,
          token,
          LEASE_MS,
          `${Date.now() - retentionMs}-0`,
          ...args,
        )) !== 1
      )
        throw new LeaseLost();
      await recordInAudit(userId, entries);
      await redis.xdel(outbox, ...entries.map(([id]) => id));
      const last = entries.at(-1)![1];
      forgotten = last[last.indexOf("type") + 1] === "forgotten";
      if (entries.length < BATCH) return forgotten;
    }
  }

  /**
   * Into the audit trail as well (another slot on a cluster, so a command of its own): a crash
   * before the outbox entry goes records it again, with the same eventId. Best effort: the events
   * are in the engine's stream already, and failing here would copy them there again every round.
   */
  let auditFailing = false;
  async function recordInAudit(userId: string, entries: [string, string[]][]): Promise<void> {
    try {
      await options.audit?.append(entries.map(([id, fields]) => [...fields, "eventId", `${userId}-${id}`]));
      auditFailing = false;
    } catch (error) {
      // One line per outage: the events' types and count, nothing else.
      if (!auditFailing)
        logger.error(
          { error: (error as Error).name, events: entries.length },
          "could not record key events in the audit trail; they reached the engine's stream",
        );
      auditFailing = true;
    }
  }

  async function settle(userId: string, count: string): Promise<void> {
    const forgotten = await drain(userId);
    if ((await evalCached(redis, DONE_IF_UNCHANGED, 1, keys.pending, userId, count)) === 1 && forgotten) {
      await evalCached(redis, DELETE_IF_FORGOTTEN, 1, followerKeys(Number(userId)).outbox);
    }
  }

  /** One pass over the nudged followers: "idle" when all were seen, "more" when the pass was full, or "not-leading". */
  async function round(): Promise<"idle" | "more" | "not-leading"> {
    if ((await evalCached(redis, HOLD_LEASE, 1, keys.relayLock, token, LEASE_MS)) !== 1) return "not-leading";
    const pending = await redis.zrange(keys.pending, "0", String(ROUND - 1), "WITHSCORES");
    const followers = Array.from(
      { length: pending.length / 2 },
      (_, i) => [pending[2 * i]!, pending[2 * i + 1]!] as const,
    );
    let next = 0;
    const lane = async () => {
      while (next < followers.length && !stopped) {
        const [userId, count] = followers[next++]!;
        await settle(userId, count);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane)).catch((error: unknown) => {
      // Another relay holds the lease now: it goes on from the outboxes, which still hold what this one did not copy.
      if (!(error instanceof LeaseLost)) throw error;
    });
    return followers.length === ROUND ? "more" : "idle";
  }

  /** Every outbox, nudged: finds events whose script ran just before its process died. */
  async function sweep(): Promise<void> {
    for await (const { keys: found } of scanKeys(redis, "follower:{*}:outbox")) {
      for (const outbox of found) {
        const userId = /^follower:\{(\d+)\}:outbox$/.exec(outbox)?.[1];
        if (userId) await redis.zincrby(keys.pending, 1, userId);
      }
    }
  }

  const everyMs = options.everyMs ?? EVERY_MS;
  // Blocking commands hold their connection: a connection of its own, errors said by the loop below.
  const waiter: RedisClient = redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
  waiter.on("error", () => undefined);
  /**
   * Until a nudge (or `everyMs`): the wake list's element is taken, so one nudge wakes one round.
   * Never past half the lease: a leader whose lease ran out while it waited would still be blocked
   * on the list beside the new one, and take the nudge meant for it.
   */
  const waitS = Math.min(everyMs, LEASE_MS / 2) / 1000;
  const nudged = () => waiter.blpop(keys.wake, waitS).then(() => undefined);

  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      const outcome = await round().then(
        (outcome) => ((failures = 0), outcome),
        (error: unknown) => {
          // One line per outage, not one per round.
          if (failures++ === 0) logger.warn({ err: error }, "the event relay could not move key events; retrying");
          return "failed" as const;
        },
      );
      if (stopped || outcome === "more") continue;
      if (outcome === "idle") await nudged().catch(() => (stopped ? undefined : pause(everyMs)));
      else await pause(outcome === "failed" ? everyMs : Math.min(everyMs, TRY_LEASE_EVERY_MS));
    }
  })();
  const sweepEveryMs = options.sweepEveryMs ?? SWEEP_EVERY_MS;
  const sweeping = () =>
    void sweep().catch((error: unknown) => logger.warn({ err: error }, "the event relay could not sweep the outboxes"));
  const timer = sweepEveryMs > 0 ? setInterval(sweeping, sweepEveryMs).unref() : undefined;
  if (sweepEveryMs > 0) sweeping();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Ends a wait for a nudge at once.
      waiter.disconnect();
      await loop;
      await redis
        .eval(
          `if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end return 0`,
          1,
          keys.relayLock,
          token,
        )
        .catch(() => undefined);
    },
  };
}
