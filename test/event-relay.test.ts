import pino from "pino";
import { describe, expect, it } from "vitest";
import { createEventOutbox, eventKeys } from "../src/events/outbox.js";
import { startEventRelay } from "../src/events/relay.js";
import { createCredentialStore } from "../src/stores/credential-store.js";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer } from "../src/vault/sealer.js";
import { canaryCredentials } from "./support/canaries.js";
import { tradeOnlyFacts, GLOBAL_BYBIT } from "./support/fake-bybit.js";
import { useOwnRedis } from "./support/own-redis.js";

// A redis-server of its own: the relay's sweep reads every outbox in its Redis.
const own = useOwnRedis();

const sealer = createSealer(parseKeyring(generateKeyringEntry()));
const facts = (id: string) => tradeOnlyFacts({ id, name: "k", expiresAt: Date.now() + 86_400_000 });
const silent = pino({ level: "silent" });

async function streamWhen(key: string, count: number): Promise<[string, string[]][]> {
  const deadline = Date.now() + 3000;
  while ((await own.redis.xlen(key)) < count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return own.redis.xrange(key, "-", "+");
}

describe("the event relay", () => {
  it("finds an event whose nudge was lost (the process died right after the change) by its sweep", async () => {
    const keys = eventKeys("-sweep");
    // A store that never nudges: as if each process died between its script and the nudge.
    const store = createCredentialStore(own.redis, sealer);
    await store.save(4242, canaryCredentials(), GLOBAL_BYBIT, facts("sweep-1"), Date.now(), 0);
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 60_000 });
    const entries = await streamWhen(keys.stream, 1);
    await relay.stop();
    expect(entries.map(([, fields]) => fields[fields.indexOf("type") + 1])).toEqual(["connected"]);
    expect(await own.redis.xlen("follower:{4242}:outbox")).toBe(0);
  });

  it("is woken by the nudge: it waits for one instead of looking every few ms, and stops at once", async () => {
    const keys = eventKeys("-wake");
    const store = createCredentialStore(own.redis, sealer, createEventOutbox(own.redis, keys));
    // Ten seconds between looks unless nudged.
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0, everyMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const savedAt = Date.now();
    await store.save(7001, canaryCredentials(), GLOBAL_BYBIT, facts("wake-1"), Date.now(), 0);
    const entries = await streamWhen(keys.stream, 1);
    expect(entries).toHaveLength(1);
    expect(Date.now() - savedAt).toBeLessThan(1000);
    const stopping = Date.now();
    await relay.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
  });

  it("takes over from a relay that stalled holding the lease, once the lease runs out, and keeps the order", async () => {
    const keys = eventKeys("-stall");
    const store = createCredentialStore(own.redis, sealer, createEventOutbox(own.redis, keys));
    const first = await store.save(6001, canaryCredentials(), GLOBAL_BYBIT, facts("stall-1"), Date.now(), 0);
    // A relay that takes the lease and stalls before it copies (a long GC pause): simulated by its
    // token on the lease and then silence; another relay takes over once the lease runs out.
    await own.redis.set(keys.relayLock, "stalled-relay", "PX", 300);
    const relay = startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 });
    await store.setStatus(6001, first!.ref, "frozen");
    const entries = await streamWhen(keys.stream, 2);
    await relay.stop();
    expect(entries.map(([, fields]) => fields[fields.indexOf("type") + 1])).toEqual(["connected", "frozen"]);
  });

  it("delivers every follower's events once and in order, with two relays running", async () => {
    const keys = eventKeys("-two");
    const store = createCredentialStore(own.redis, sealer, createEventOutbox(own.redis, keys));
    const relays = [
      startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 }),
      startEventRelay({ redis: own.redis, keys, logger: silent, sweepEveryMs: 0 }),
    ];
    const followers = Array.from({ length: 20 }, (_, index) => 5000 + index);
    // Ten keys in a row for each follower: connected, then nine rotations, each naming the key before it.
    await Promise.all(
      followers.map(async (userId) => {
        for (let round = 0; round < 10; round += 1)
          await store.save(userId, canaryCredentials(), GLOBAL_BYBIT, facts(`${userId}-${round}`), Date.now(), 0);
      }),
    );
    const entries = await streamWhen(keys.stream, 200);
    await Promise.all(relays.map((relay) => relay.stop()));
    expect(entries).toHaveLength(200);
    for (const userId of followers) {
      const mine = entries
        .map(([, fields]) =>
          Object.fromEntries(fields.flatMap((value, index) => (index % 2 ? [] : [[value, fields[index + 1]]]))),
        )
        .filter((event) => event.userId === String(userId));
      expect(mine.map((event) => event.exchangeKeyId)).toEqual(
        Array.from({ length: 10 }, (_, round) => `${userId}-${round}`),
      );
      expect(mine.slice(1).map((event) => event.previousExchangeKeyId)).toEqual(
        Array.from({ length: 9 }, (_, round) => `${userId}-${round}`),
      );
    }
  });
});
