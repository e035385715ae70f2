import { createHash } from "node:crypto";
import { engineAccess } from "./support/engine-access.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialKey } from "../src/stores/credential-store.js";
import { canaryCredentials } from "./support/canaries.js";
import { repliesUntil, submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

// Records stored before the exchange port named no exchange and kept Bybit's id of the key under
// `bybitKeyId`. They must keep working as they are: read, opened, served to the engine, frozen and
// denied under the very Redis names they had; the next write stores the new names (issue 22).
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ telegramLimits: ROOMY_CHATS });
});
afterAll(() => h.stop());

/** Connects a key, then rewrites its record the way the service wrote it before the port. */
async function legacyRecord(follower: Follower) {
  const creds = canaryCredentials();
  const { id } = h.bybit.addKey(creds);
  expect(await submitKey(follower, creds)).toContain("✅ Connected");
  const key = credentialKey(follower.user.id);
  await h.redis.hdel(key, "exchange", "exchangeKeyId");
  await h.redis.hset(key, "bybitKeyId", id);
  return { id, creds, key };
}

describe("a key stored before the exchange port", () => {
  it("is read, opened and served as Bybit's, under its old seal", async () => {
    const alice = h.follower();
    const { id, key } = await legacyRecord(alice);
    const record = (await h.credentials.current(alice.user.id))!;
    expect(record).toMatchObject({ exchange: "bybit", exchangeKeyId: id, status: "active" });
    // The seal's associated data, as it was spelt then: byte for byte.
    const sealed = (await h.redis.hgetBuffer(key, "sealed"))!;
    const oldContext = `user=${alice.user.id}|exchange=bybit|bybitKey=${id}|purpose=api-credential`;
    expect(() => h.sealer.open(sealed, oldContext).fill(0)).not.toThrow();

    const access = engineAccess(h);
    const opened = await access.open(alice.user.id);
    expect(opened.ok && opened.facts).toMatchObject({ exchange: "bybit", exchangeKeyId: id });

    alice.say("/status");
    expect(await alice.reply()).toContain(record.maskedKey);
  });

  it("is frozen by /panic and denied under the old Redis names; the next key is stored in the new ones", async () => {
    const bob = h.follower();
    const { id } = await legacyRecord(bob);
    bob.say("/panic");
    await repliesUntil(bob, "Now revoke the key in Bybit");
    const digest = createHash("sha256").update(`bybit:${id}`).digest("hex");
    await expect.poll(() => h.redis.sismember("denied-bybit-keys", digest)).toBe(1);
    await expect
      .poll(async () => (await h.redis.xrange(h.events.stream, "-", "+")).map(([, fields]) => fields.join(" ")))
      .toContainEqual(
        expect.stringMatching(
          new RegExp(`type frozen userId ${bob.user.id} .*exchange bybit site global exchangeKeyId ${id} `),
        ),
      );

    const fresh = canaryCredentials();
    h.bybit.addKey(fresh);
    // After /panic, /connect first shows the frozen key's notice: read until the flow asks.
    bob.say("/connect");
    await repliesUntil(bob, "Let’s connect");
    bob.say(`${fresh.apiKey} ${fresh.apiSecret}`);
    await repliesUntil(bob, "✅ Connected");
    const fields = await h.redis.hgetall(credentialKey(bob.user.id));
    expect(fields).toMatchObject({ exchange: "bybit", exchangeKeyId: expect.any(String) });
    expect(fields).not.toHaveProperty("bybitKeyId");
  });
});
