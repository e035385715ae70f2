import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { followerKeys } from "../vault/follower-keys.js";
import { eventKeys, type EventKeys } from "./outbox.js";

export interface EventRelayOptions {
  redis: Redis;
  keys?: EventKeys;
  logger: Logger;
  /** How often the relay looks for nudged followers (ms). */
  everyMs?: number;
  /** How often it looks through every outbox for events whose nudge was lost to a crash (ms; 0: never). */
  sweepEveryMs?: number;
  /** How long the engine's stream keeps an event (ms): an engine away for longer must resync. */
  retentionMs?: number;
}

const EVERY_MS = 50;
const SWEEP_EVERY_MS = 5 * 60_000;
export const EVENT_RETENTION_MS = 7 * 86_400_000;
const LEASE_MS = 5000;
const BATCH = 100;

/** KEYS: the lease. ARGV: token, ms. Takes the lease, or keeps it for its holder. */
const HOLD_LEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
if redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return 1 end
return 0`;

/** KEYS: pending. ARGV: follower, the count read before draining. A nudge since then keeps the follower pending. */
const DONE_IF_UNCHANGED = `
if redis.call("ZSCORE", KEYS[1], ARGV[1]) == ARGV[2] then return redis.call("ZREM", KEYS[1], ARGV[1]) end
return 0`;

/** KEYS: the outbox. An outbox emptied by the relay goes, so that /forget leaves nothing behind. */
const DELETE_IF_EMPTY = `
if redis.call("XLEN", KEYS[1]) == 0 then return redis.call("DEL", KEYS[1]) end
return 0`;

/**
 * Moves key events from followers' outboxes to the one stream the engine reads, at least once and
 * in order per follower: one relay at a time (a lease), each follower's outbox in order, an entry
 * deleted from the outbox only once it is in the stream (a crash in between sends it again; the
 * `eventId` field tells the copies apart). Runs in every worker process; one holds the lease.
 */
export function startEventRelay(options: EventRelayOptions): { stop(): Promise<void> } {
  const { redis, logger } = options;
  const keys = options.keys ?? eventKeys();
  const retentionMs = options.retentionMs ?? EVENT_RETENTION_MS;
  const token = randomUUID();
  let stopped = false;

  async function drain(userId: string): Promise<void> {
    const outbox = followerKeys(Number(userId)).outbox;
    for (;;) {
      const entries = await redis.xrange(outbox, "-", "+", "COUNT", BATCH);
      if (entries.length === 0) return;
      const minId = `${Date.now() - retentionMs}-0`;
      const copies = redis.pipeline();
      for (const [id, fields] of entries) copies.xadd(keys.stream, "MINID", "~", minId, "*", "eventId", `${userId}-${id}`, ...fields);
      for (const [error] of (await copies.exec()) ?? []) if (error) throw error;
      await redis.xdel(outbox, ...entries.map(([id]) => id));
      if (entries.length < BATCH) return;
    }
  }

  async function round(): Promise<void> {
    if ((await redis.eval(HOLD_LEASE, 1, keys.relayLock, token, LEASE_MS)) !== 1) return;
    const pending = await redis.zrange(keys.pending, "0", "199", "WITHSCORES");
    for (let i = 0; i < pending.length && !stopped; i += 2) {
      const [userId, count] = [pending[i]!, pending[i + 1]!];
      await drain(userId);
      if ((await redis.eval(DONE_IF_UNCHANGED, 1, keys.pending, userId, count)) === 1) await redis.eval(DELETE_IF_EMPTY, 1, followerKeys(Number(userId)).outbox);
    }
  }

  /** Every outbox, nudged: finds events whose script ran just before its process died. */
  async function sweep(): Promise<void> {
    for await (const found of redis.scanStream({ match: "follower:{*}:outbox", count: 500 })) {
      for (const outbox of found as string[]) {
        const userId = /^follower:\{(\d+)\}:outbox$/.exec(outbox)?.[1];
        if (userId) await redis.zincrby(keys.pending, 1, userId);
      }
    }
  }

  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      await round().then(
        () => (failures = 0),
        (error: unknown) => {
          // One line per outage, not one per round.
          if (failures++ === 0) logger.warn({ err: error }, "the event relay could not move key events; retrying");
        },
      );
      await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? EVERY_MS));
    }
  })();
  const sweepEveryMs = options.sweepEveryMs ?? SWEEP_EVERY_MS;
  const sweeping = () => void sweep().catch((error: unknown) => logger.warn({ err: error }, "the event relay could not sweep the outboxes"));
  const timer = sweepEveryMs > 0 ? setInterval(sweeping, sweepEveryMs).unref() : undefined;
  if (sweepEveryMs > 0) sweeping();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await loop;
      await redis.eval(`if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end return 0`, 1, keys.relayLock, token).catch(() => undefined);
    },
  };
}
