// An example trading engine: how another process uses the access module and the key events.
// It keeps the set of followers it may trade for from the events (a consumer group on the stream),
// opens a follower's key only through the access module (which refuses anything not active), and
// forgets a key's client the moment an event says the key is out of use.
// Run beside the service: REDIS_URL=… SEAL_KEYS=… npx tsx examples/engine.ts
import { pathToFileURL } from "node:url";
import { RestClientV5 } from "bybit-api";
import { Redis } from "ioredis";
import { createKeyAccess, type KeyAccess, type RefusedOpen } from "../src/engine/access.js";
import { eventKeys, type KeyEventType } from "../src/events/outbox.js";
import { parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";

/** One event as the stream holds it: every field a string. */
export type KeyEvent = { eventId: string; type: KeyEventType; userId: string; ref: string; maskedKey: string; at: string } & Record<string, string>;

/** After these, the follower's key (if any) may be opened; after any other, nothing of theirs is used until the next. */
const IN_USE: ReadonlySet<string> = new Set(["connected", "rotated", "readable", "permissions-changed"]);

export interface ExampleEngineOptions {
  redis: Redis;
  access: KeyAccess;
  stream?: string;
  group?: string;
  consumer?: string;
  /** Each event, once handled (tests and benchmarks watch these). */
  onEvent?: (event: KeyEvent) => void;
}

export interface ExampleEngine {
  /** Followers the engine may trade for now. */
  tradable: ReadonlySet<number>;
  /** What a trade would start with: the follower's client, or why there is none. */
  clientFor(userId: number): Promise<{ ok: true; client: RestClientV5; orderLinkIdPrefix: string } | RefusedOpen | { ok: false; reason: "not-tradable" }>;
  stop(): Promise<void>;
}

const fieldsOf = (pairs: string[]) => Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]])) as KeyEvent;

/** "<outbox ms>-<seq>" compared in order: the relay may deliver an event twice, never out of order per follower. */
const outboxOrder = (eventId: string) => eventId.split("-").slice(1).map(BigInt) as [bigint, bigint];
const after = (a: string, b: string) => {
  const [[am, as], [bm, bs]] = [outboxOrder(a), outboxOrder(b)];
  return am > bm || (am === bm && as > bs);
};

export async function startExampleEngine(options: ExampleEngineOptions): Promise<ExampleEngine> {
  const { redis, access } = options;
  const stream = options.stream ?? eventKeys().stream;
  const group = options.group ?? "example-engine";
  const consumer = options.consumer ?? "engine-1";
  // A connection of its own: XREADGROUP blocks it.
  const reader = redis.duplicate();
  const tradable = new Set<number>();
  const clients = new Map<number, { client: RestClientV5; orderLinkIdPrefix: string }>();
  const lastSeen = new Map<string, string>();
  let stopped = false;

  // From the start of what the stream keeps: a new engine learns who is connected (for the last 7 days).
  await reader.xgroup("CREATE", stream, group, "0", "MKSTREAM").catch((error: Error) => {
    if (!error.message.includes("BUSYGROUP")) throw error;
  });

  function handle(event: KeyEvent): void {
    const seen = lastSeen.get(event.userId);
    if (seen && !after(event.eventId, seen)) return; // a copy the relay sent again
    lastSeen.set(event.userId, event.eventId);
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
      const answer = (await reader.xreadgroup("GROUP", group, consumer, "COUNT", 100, "BLOCK", 200, "STREAMS", stream, cursor).catch(() => null)) as
        | [string, [string, string[]][]][]
        | null;
      const entries = answer?.[0]?.[1] ?? [];
      if (cursor === "0" && entries.length === 0) cursor = ">";
      for (const [id, fields] of entries) {
        handle(fieldsOf(fields));
        await reader.xack(stream, group, id);
      }
    }
  })();

  return {
    tradable,
    async clientFor(userId) {
      if (!tradable.has(userId)) return { ok: false, reason: "not-tradable" };
      const cached = clients.get(userId);
      if (cached) return { ok: true, ...cached };
      // The access module has the last word: a key frozen a moment ago is refused here.
      const opened = await access.open(userId);
      if (!opened.ok) {
        tradable.delete(userId);
        return opened;
      }
      const entry = { client: new RestClientV5({ ...opened.client }), orderLinkIdPrefix: opened.orderLinkIdPrefix };
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
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const access = createKeyAccess({ redis, sealer: createSealer(parseKeyring(process.env.SEAL_KEYS ?? "")), orderLinkIdPrefix: process.env.ORDER_LINK_ID_PREFIX ?? "copytrade-" });
  const engine = await startExampleEngine({
    redis,
    access,
    onEvent: (event) => console.log(`${event.type} follower=${event.userId} key=${event.maskedKey}`),
  });
  process.once("SIGINT", () => void engine.stop().then(() => redis.disconnect()));
}
