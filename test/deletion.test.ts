import { afterEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { startHarness, type Harness } from "./support/harness.js";

let h: Harness;
afterEach(async () => h?.stop());

const waitUntil = async (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "the condition") => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const counted = async (h: Harness, outcome: string) =>
  (await h.metrics.credentialDeletions.get()).values.find((value) => value.labels.outcome === outcome)?.value ?? 0;

describe("deleting a credential message", () => {
  it("goes on through two 502s and a 429, and only then says it is deleted", async () => {
    h = await startHarness({ worker: false });
    const alice = h.follower();
    h.telegram.failNext("deleteMessage", 502, 502, 429);
    const { apiKey, apiSecret } = canaryCredentials();
    const pasted = alice.say(`${apiKey} ${apiSecret}`);

    expect(await alice.reply()).toContain("I deleted your message. It looked like an API key or secret");
    expect(h.telegram.messageExists(alice.chat.id, pasted.message_id)).toBe(false);
    expect(h.telegram.callsOf("deleteMessage")).toHaveLength(4);
    // The 429 asked for one second: the last attempt waited for it.
    const [, , third, fourth] = h.telegram.callsOf("deleteMessage");
    expect(fourth!.at - third!.at).toBeGreaterThanOrEqual(990);
    expect(await counted(h, "deleted")).toBe(1);
    expect((await h.metrics.deletionRetries.get()).values[0]?.value).toBe(3);
    // The entry goes once the update is handled too (a crash before that has the sweeper tell the follower).
    await waitUntil(async () => (await h.redis.zcard(h.pendingDeletionsKey)) === 0, 2000, "the pending entry to go");
  });

  for (const how of ["graceful", "crash"] as const) {
    it(`is finished by the next bot process after a ${how === "crash" ? "crash" : "restart"}, from what Redis holds (never the text)`, async () => {
      h = await startHarness({ worker: false });
      const alice = h.follower();
      h.telegram.breakMethod("deleteMessage");
      const { apiKey, apiSecret } = canaryCredentials();
      const pasted = alice.say(`${apiKey} ${apiSecret}`);
      await waitUntil(
        async () =>
          (await h.redis.zcard(h.pendingDeletionsKey)) === 1 && h.telegram.callsOf("deleteMessage").length >= 2,
        5000,
        "a pending deletion",
      );
      const [member] = await h.redis.zrange(h.pendingDeletionsKey, "0", "-1");
      expect(member).not.toContain(apiKey.slice(3));
      expect(member).not.toContain(apiSecret.slice(3));

      await h.restartBot(how);
      h.telegram.breakMethod("deleteMessage", 0);
      // A crash hands nothing over: the next process waits for the lease (2 s in tests) to run out.
      await waitUntil(() => !h.telegram.messageExists(alice.chat.id, pasted.message_id), 8000, "the deletion");
      await waitUntil(async () => (await h.redis.zcard(h.pendingDeletionsKey)) === 0, 2000, "the pending entry to go");
      // The old bot lives on here and answers the update ("still deleting"): recorded, so the next
      // process only deletes. (A graceful stop hands over at once, and a real one waits for the update first.)
      if (how === "crash") expect(alice.transcript().join("\n")).not.toContain("I was restarted");
    });
  }

  it("tells a refusal once, under the message, without claiming a deletion, and logs and counts it without content", async () => {
    h = await startHarness({ worker: false });
    const alice = h.follower();
    h.telegram.refuseDeletesIn(alice.chat.id);
    const { apiKey, apiSecret } = canaryCredentials();
    const pasted = alice.say(`${apiKey} ${apiSecret}`);

    expect(await alice.reply()).toBe(
      "⚠️ Telegram did not let me delete this message. Please delete it yourself now: it looks like part of an API key.",
    );
    const warning = h.telegram.callsOf("sendMessage").at(-1)!;
    expect(warning.payload.reply_parameters).toMatchObject({ message_id: pasted.message_id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(alice.transcript()).toHaveLength(1);
    expect(h.telegram.callsOf("deleteMessage")).toHaveLength(1);
    expect(await counted(h, "refused")).toBe(1);
    const logged = h.logs.filter((line) => line.includes("credential message could not be deleted"));
    expect(logged).toHaveLength(1);
    expect(h.logs.join("\n")).not.toContain(apiSecret);
  });

  it("says it is still deleting when Telegram is slow, and when it gives up, says that too", async () => {
    h = await startHarness({
      worker: false,
      shredderTiming: { patienceMs: 300, giveUpAfterMs: 1500, maxBackoffMs: 200 },
    });
    const alice = h.follower();
    h.telegram.breakMethod("deleteMessage");
    const { apiKey, apiSecret } = canaryCredentials();
    alice.say(`${apiKey} ${apiSecret}`);

    expect(await alice.reply()).toMatch(
      /^Telegram is slow right now: I am still deleting your message, and I will tell you if I can’t\. It looked like/,
    );
    expect(await alice.reply()).toContain("Telegram kept failing");
    expect(await counted(h, "gave_up")).toBe(1);
    // The entry leaves only once the word is out.
    await waitUntil(async () => (await h.redis.zcard(h.pendingDeletionsKey)) === 0, 2000, "the pending entry to go");
  });
});
