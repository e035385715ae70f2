// An example trading engine: how another process uses the access module and the key events.
// It opens a follower's key only through the access module, which has the last word (it refuses
// anything not active), keeps the client while no event about the follower arrives, and drops it
// the moment one does. The set of followers it trades for is kept from the events, for show: it is
// a hint, never a gate, so an engine restarted (or away longer than the stream keeps) is right anyway.
// Run beside the service: REDIS_URL=… SEAL_KEYS=… npx tsx examples/engine.ts
import { hostname } from "node:os";
import { pathToFileURL } from "node:url";
import { RestClientV5 } from "bybit-api";
import { Cluster } from "ioredis";
import { createKeyAccess, type KeyAccess, type RefusedOpen } from "../src/engine/access.js";
import { eventKeys, type KeyEventType } from "../src/events/outbox.js";
import { redisClient, type RedisClient } from "../src/infra/redis.js";
import { parseKeyring } from "../src/vault/keyring.js";
import { announceKeyring } from "../src/vault/keyring-presence.js";
import { createSealer } from "../src/vault/sealer.js";

/** One event as the stream holds it: every field a string. */
export type KeyEvent = {
  eventId: string;
  type: KeyEventType;
  userId: string;
  ref: string;
  maskedKey: string;
  at: string;
} & Record<string, string>;

/** After these, the follower's key (if any) may be opened; after any other, nothing of theirs is used until the next. */
const IN_USE: ReadonlySet<string> = new Set(["connected", "rotated", "readable", "permissions-changed"]);

export interface ExampleEngineOptions {
  redis: RedisClient;
  access: KeyAccess;
  stream?: string;
  group?: string;
  consumer?: string;
  /** Each event, once handled (tests and benchmarks watch these). */
  onEvent?: (event: KeyEvent) => void;
}

export interface ExampleEngine {
  /** Followers whose key the events last said is in use (a hint: `clientFor` asks the access module). */
  tradable: ReadonlySet<number>;
  /** What a trade would start with: the follower's client, or why there is none. */
  clientFor(userId: number): Promise<{ ok: true; client: RestClientV5; orderLinkIdPrefix: string } | RefusedOpen>;
  stop(): Promise<void>;
}

const fieldsOf = (pairs: string[]) =>
  Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]])) as KeyEvent;

/** Recent event ids per follower: a copy the relay sent again carries the id of the first. */
const REMEMBERED = 64;

export async function startExampleEngine(options: ExampleEngineOptions): Promise<ExampleEngine> {
  const { redis, access } = options;
  const stream = options.stream ?? eventKeys().stream;
  const group = options.group ?? "example-engine";
  const consumer = options.consumer ?? "engine-1";
  // A connection of its own: XREADGROUP blocks it.
  const reader: RedisClient = redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
  const tradable = new Set<number>();
  const clients = new Map<number, { client: RestClientV5; orderLinkIdPrefix: string }>();
  const seen = new Map<string, string[]>();
  let stopped = false;

  // From the start of what the stream keeps (7 days), for the hint; a group that exists stays as it is.
  const joinGroup = () =>
    reader.xgroup("CREATE", stream, group, "0", "MKSTREAM").catch((error: Error) => {
      if (!error.message.includes("BUSYGROUP")) throw error;
    });
  await joinGroup();

  function handle(event: KeyEvent): void {
    const recent = seen.get(event.userId) ?? [];
    if (recent.includes(event.eventId)) return; // a copy the relay sent again
    seen.set(event.userId, [...recent.slice(1 - REMEMBERED), event.eventId]);
    const userId = Number(event.userId);
    // Any change: the next trade opens the key afresh (a rotated key is another key).
    clients.delete(userId);
    if (IN_USE.has(event.type)) tradable.add(userId);
    else tradable.delete(userId);
    options.onEvent?.(event);
  }

  const loop = (async () => {
    // First what this consumer read before a crash and never acknowledged, then what is new.
    let cursor = "0";
    while (!stopped) {
      let entries: [string, string[] | null][];
      try {
        const answer = (await reader.xreadgroup(
          "GROUP",
          group,
          consumer,
          "COUNT",
          100,
          "BLOCK",
          200,
          "STREAMS",
          stream,
          cursor,
        )) as [string, [string, string[] | null][]][] | null;
        entries = answer?.[0]?.[1] ?? [];
      } catch {
        // Redis away, or the stream and its group gone (NOGROUP): wait, join again, read again.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await joinGroup().catch(() => undefined);
        continue;
      }
      if (cursor === "0" && entries.length === 0) cursor = ">";
      for (const [id, fields] of entries) {
        // An entry the stream no longer keeps comes back without fields: nothing to handle.
        if (fields) handle(fieldsOf(fields));
        await reader.xack(stream, group, id);
      }
    }
  })();

  return {
    tradable,
    async clientFor(userId) {
      const cached = clients.get(userId);
      if (cached) return { ok: true, ...cached };
      // The access module has the last word: a key frozen a moment ago is refused here.
      const opened = await access.open(userId);
      if (!opened.ok) {
        tradable.delete(userId);
        return opened;
      }
      tradable.add(userId);
      // On the key's own site (Bybit Turkey's host for a Turkish key); a key from before sites: the default host.
      const client = new RestClientV5({ ...opened.client, ...(opened.baseUrl ? { baseUrl: opened.baseUrl } : {}) });
      const entry = { client, orderLinkIdPrefix: opened.orderLinkIdPrefix };
      clients.set(userId, entry);
      return { ok: true, ...entry };
    },
    async stop() {
      stopped = true;
      await loop;
      reader.disconnect();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  const redis = redisClient(
    nodes ? { clusterNodes: nodes.split(",") } : { url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
  );
  const keyring = parseKeyring(process.env.SEAL_KEYS ?? "");
  const access = createKeyAccess({
    redis,
    sealer: createSealer(keyring),
    orderLinkIdPrefix: process.env.ORDER_LINK_ID_PREFIX ?? "copytrade-",
  });
  // So that a keyring rewrap waits until this engine can open what it re-seals.
  const presence = announceKeyring(redis, keyring, `engine@${hostname()}:${process.pid}`);
  const engine = await startExampleEngine({
    redis,
    access,
    onEvent: (event) => console.log(`${event.type} follower=${event.userId} key=${event.maskedKey}`),
  });
  process.once("SIGINT", () => void Promise.all([engine.stop(), presence.stop()]).then(() => redis.disconnect()));
}
