import { afterEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness, type HarnessOptions } from "./support/harness.js";
import { initDataOf, miniAppFeature, webAppButtonUrl } from "./support/mini-app.js";
import { useOwnRedis } from "./support/own-redis.js";

// The Mini App's Connect when things break: Redis full before or during the check, Bybit silent. Whatever
// happens, the follower learns the outcome on the page or in the chat, and nothing is stored silently.

const own = useOwnRedis();
let h: Harness;
afterEach(async () => {
  await own.redis.config("SET", "maxmemory", "0");
  await h.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const full = () => own.redis.config("SET", "maxmemory", "1");
const lift = () => own.redis.config("SET", "maxmemory", "0");

async function start(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness({
    web: [miniAppFeature],
    telegramLimits: ROOMY_CHATS,
    redisTarget: { url: own.url },
    recoveryBeatMs: 100,
    ...options,
  });
  return h;
}

/** /connect in the chat: the ticket of the page its button opens (the flow's state written before we go on). */
async function ticketOf(follower: Follower): Promise<string> {
  follower.say("/connect");
  await follower.reply();
  await sleep(300);
  return new URL(webAppButtonUrl(h, follower)).searchParams.get("t")!;
}

async function connect(follower: Follower, body: Record<string, unknown>) {
  const answer = await fetch(`${h.web!.url}/app/api/connect`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `tma ${initDataOf(follower)}` },
    body: JSON.stringify(body),
  });
  return { status: answer.status, ...((await answer.json()) as { html: string; outcome?: string; ticket?: string }) };
}

describe("the Mini App's Connect when things break", () => {
  it("Redis full as Connect is tapped: the page says nothing was checked or stored, and promises no chat", async () => {
    await start();
    const alice = h.follower();
    const ticket = await ticketOf(alice);
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    await full();
    let answer: Awaited<ReturnType<typeof connect>>;
    try {
      answer = await connect(alice, { ticket, ...creds });
    } finally {
      await lift();
    }
    expect(answer.status).toBe(503);
    expect(answer.html).toContain("I did not check your key, and nothing was stored");
    expect(answer.html).toContain("/connect");
    // It used to say "I will tell you in the chat what became of the key", and the chat never did.
    expect(answer.html).not.toContain("in the chat what became");
    expect(h.bybit.requests.length).toBe(0);
    expect(await h.credentials.current(alice.user.id)).toBeNull();
    await expect(alice.reply(1500)).rejects.toThrow();
  });

  it("Redis full while Bybit checks the key: the page says the chat will tell, and the chat does, once", async () => {
    await start();
    const alice = h.follower();
    const ticket = await ticketOf(alice);
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "mid-check" });
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    h.bybit.beforeAnswer = async () => {
      await full();
      await gate;
    };
    const answering = connect(alice, { ticket, ...creds });
    await sleep(200);
    release();
    const answer = await answering;
    h.bybit.beforeAnswer = undefined;
    expect(answer.status).toBe(503);
    expect(answer.html).toContain("I will tell you in the chat what became of the key");
    await lift();
    const told = await alice.reply(10_000);
    const stored = (await h.credentials.current(alice.user.id)) !== null;
    expect(told).toMatch(/nothing was stored|is connected/);
    expect(told.includes("is connected")).toBe(stored);
    await sleep(800);
    expect(alice.transcript().at(-1)).toBe(told);
    expect(alice.transcript().filter((text) => text === told)).toHaveLength(1);
  });

  it("Bybit silent: the page says so with a fresh form, and the next try connects", async () => {
    await start({ bybitTimeoutMs: 300 });
    const alice = h.follower();
    const ticket = await ticketOf(alice);
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "after-the-outage" });
    h.bybit.mode = "hang";
    const silent = await connect(alice, { ticket, ...creds });
    expect(silent.outcome).toBe("refused");
    expect(silent.html).toContain("Bybit did not answer in time. Nothing was stored.");
    expect(await alice.reply()).toContain("Bybit did not answer in time");
    h.bybit.mode = "normal";
    const again = await connect(alice, { ticket: silent.ticket, ...creds });
    expect(again.outcome).toBe("connected");
    expect(await alice.reply()).toContain("✅ Connected: key “after-the-outage”");
  });
});
