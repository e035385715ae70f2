import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { tradeOnlyFacts, GLOBAL_BYBIT } from "./support/fake-bybit.js";
import { submitKey } from "./support/flows.js";
import { UPDATE_LIMITS } from "../src/bot/limits/updates.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";
import { RedisMonitor } from "./support/redis-monitor.js";

let h: Harness;
beforeAll(async () => {
  // About the flows, not Telegram's pace: replies in a chat go out 100 ms apart, not one a second.
  h = await startHarness({ worker: false, telegramLimits: ROOMY_CHATS });
});
afterAll(async () => h.stop());

async function connectedFollower(): Promise<Follower> {
  const follower = h.follower();
  const creds = canaryCredentials();
  h.bybit.addKey(creds);
  expect(await submitKey(follower, creds)).toContain("✅ Connected");
  return follower;
}

const TOO_MANY = "That’s several tries that didn’t work, so I stopped here and stored nothing.";

describe("a flow that gets only wrong answers", () => {
  it("ends after five of them with a clear word, and its state stays small", async () => {
    const alice = h.follower();
    alice.say("/connect");
    await alice.reply();
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:have-secret");
    await alice.reply();
    const filler = "this is not a key at all ".repeat(160);
    for (let i = 0; i < 100; i += 1) alice.say(filler);
    let largest = 0;
    const sizes = setInterval(
      () => void h.redis.strlen(`conversation:${alice.chat.id}`).then((size) => (largest = Math.max(largest, size))),
      5,
    );

    const said: string[] = [];
    for (;;) {
      said.push(await alice.reply(10_000));
      if (said.at(-1)!.includes(TOO_MANY)) break;
    }
    expect(said.filter((text) => text.includes("It reads like a sentence"))).toHaveLength(4);
    clearInterval(sizes);
    // Five messages of 4 KB, sealed, and the bot's answers: nowhere near the 3.9 MiB of an endless flow.
    expect(largest).toBeLessThan(64 * 1024);
    // The rest went past the flow, or over the rate limit: never back into a flow.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(alice.transcript().filter((text) => text.includes(TOO_MANY))).toHaveLength(1);
    expect(await h.redis.exists(`conversation:${alice.chat.id}`)).toBe(0);
  }, 30_000);

  it("ends the choice step too, after five answers that are neither way", async () => {
    const bob = h.follower();
    bob.say("/connect");
    await bob.reply();
    for (let i = 0; i < 5; i += 1) h.telegram.sendSticker(bob.user, bob.chat);
    const said = [await bob.reply(), await bob.reply(), await bob.reply(), await bob.reply(), await bob.reply()];
    expect(
      said.slice(0, 4).every((text) => text.startsWith("I deleted your message. Please tap one of the two buttons")),
    ).toBe(true);
    expect(said[4]).toContain(TOO_MANY);
  });
});

describe("a flow that gets questions and /connect", () => {
  it("takes them as no wrong tries: /connect to see the steps again, as the bot advises, does not end it", async () => {
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    const carl = h.follower();
    carl.say("/connect");
    await carl.reply();
    h.telegram.pressButton(carl.user, h.telegram.lastBotMessage(carl.chat.id), "connect:have-secret");
    await carl.reply();
    for (const text of [
      "where do I find that?",
      "/connect",
      "what does read-write mean?",
      "/connect",
      "/help",
      "/connect",
    ]) {
      carl.say(text);
      expect(await carl.reply()).not.toContain(TOO_MANY);
    }
    carl.say(`${creds.apiKey} ${creds.apiSecret}`);
    expect(await carl.reply()).toBe("Checking the key with Bybit…");
    expect(await carl.reply()).toContain("✅ Connected");
  });

  it("ends after twenty of them, since the flow keeps each one", async () => {
    // About the flow, not the limits: a bot of its own takes the chat's 21 updates at once and replies
    // as fast as it can (production's ten updates per ten seconds, and a reply a second, take 20 s here).
    const roomy = await startHarness({
      worker: false,
      telegramLimits: ROOMY_CHATS,
      updateLimits: { ...UPDATE_LIMITS, private: { limit: 100, windowMs: 10_000 } },
    });
    try {
      const dora = roomy.follower();
      dora.say("/connect");
      await dora.reply();
      const said: string[] = [];
      // In batches of seven: a chat's backlog holds ten updates, the last ones of a batch may still be finishing.
      for (const count of [7, 7, 7]) {
        for (let i = 0; i < count; i += 1) dora.say(i % 2 === 0 ? "/connect" : "which one should I pick?");
        for (let i = 0; i < count; i += 1) said.push(await dora.reply(15_000));
      }
      expect(said.slice(0, 20).filter((text) => text.includes(TOO_MANY) || text.includes("I stopped"))).toEqual([]);
      expect(said[20]).toBe(
        "We’ve gone back and forth many times without a key, so I stopped here and stored nothing. Send /connect to start again when you have the key at hand.",
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await roomy.redis.exists(`conversation:${dora.chat.id}`)).toBe(0);
    } finally {
      await roomy.stop();
    }
  });
});

describe("buttons pressed during a flow", () => {
  it("let another feature's button work at the replace step", async () => {
    const dave = await connectedFollower();
    dave.say("/forget");
    await dave.reply();
    const forgetPrompt = h.telegram.lastBotMessage(dave.chat.id);
    dave.say("/connect");
    expect(await dave.reply()).toContain("You already have the key");
    h.telegram.pressButton(dave.user, forgetPrompt, `forget:${dave.user.id}`);
    expect(await dave.reply()).toContain("Done: I deleted your key, its reminders and its history.");
    expect(await h.credentials.current(dave.user.id)).toBeNull();
  });

  it("count a stale button of the flow as a wrong answer", async () => {
    // Stored directly, not through the bot: the story below takes nine of the chat's ten updates in ten seconds.
    const erin = h.follower();
    const facts = tradeOnlyFacts({ id: "id-erin", name: "erin-key", createdAt: h.now });
    await h.credentials.save(erin.user.id, canaryCredentials(), GLOBAL_BYBIT, facts, h.now, 0);
    erin.say("/connect");
    await erin.reply();
    h.telegram.pressButton(erin.user, h.telegram.lastBotMessage(erin.chat.id), "connect:replace");
    await erin.reply();
    expect(await erin.reply()).toContain("Choose how");
    const ways = h.telegram.lastBotMessage(erin.chat.id);
    // Starting over: the flow is at "Replace it?" again, and the two ways' buttons are stale.
    erin.say("/cancel");
    expect(await erin.reply()).toContain("stays connected");
    erin.say("/connect");
    expect(await erin.reply()).toContain("You already have the key");
    for (let i = 0; i < 5; i += 1) h.telegram.pressButton(erin.user, ways, "connect:have-secret");
    expect(await erin.reply()).toContain(TOO_MANY);
    expect(await h.credentials.current(erin.user.id)).not.toBeNull();
  });
});

describe("/forget", () => {
  it("finds everything by name: no SCAN, and nothing about the follower is left", async () => {
    const carol = await connectedFollower();
    carol.say("/forget");
    await carol.reply();
    const monitor = await RedisMonitor.start(inject("redisUrl"));
    const port = (h.redis as unknown as { stream: { localPort: number } }).stream.localPort;
    h.telegram.pressButton(carol.user, h.telegram.lastBotMessage(carol.chat.id), `forget:${carol.user.id}`);
    expect(await carol.reply()).toContain("Done: I deleted your key, its reminders and its history.");
    await monitor.caughtUp(h.redis);
    monitor.stop();
    const ours = monitor.commands().filter((line) => line.includes(`:${port}]`));
    expect(ours.some((line) => line.includes(`follower:{${carol.user.id}}`))).toBe(true);
    expect(ours.filter((line) => /"scan"/i.test(line))).toEqual([]);
    // Its outbox goes too, once the relay has moved its last events ("forgotten" among them) on to the engine.
    await h.eventsRelayed(carol.user.id);
    expect(await h.redis.keys(`*${carol.user.id}*`)).toEqual([]);
  });
});
