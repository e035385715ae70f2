import net from "node:net";
import { sign } from "@telegram-apps/init-data-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { miniApp } from "../src/bot/web/mini-app/index.js";
import { canaryCredentials } from "./support/canaries.js";
import { BOT_TOKEN, ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";
import { initDataOf, PUBLIC_URL, webAppButtonUrl } from "./support/mini-app.js";

// The Mini App's API as an attacker sees it, over HTTP: initData forged in every way but the token, bodies
// that never end, cross-site requests, and someone else's /panic.

const BODY_DEADLINE_MS = 300;
let h: Harness;
beforeEach(async () => {
  const feature = miniApp({ publicUrl: PUBLIC_URL, botToken: BOT_TOKEN, bodyDeadlineMs: BODY_DEADLINE_MS });
  h = await startHarness({ web: [feature], telegramLimits: ROOMY_CHATS });
});
afterEach(() => h.stop());

const api = (path: string) => `${h.web!.url}/app/api/${path}`;
function post(path: string, body: unknown, authorization: string) {
  return fetch(api(path), {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: authorization },
    body: JSON.stringify(body),
  });
}

async function connected(follower: Follower): Promise<string> {
  follower.say("/connect");
  await follower.reply();
  const ticket = new URL(webAppButtonUrl(h, follower)).searchParams.get("t")!;
  const creds = canaryCredentials();
  h.bybit.addKey(creds);
  expect(
    (await (await post("connect", { ticket, ...creds }, `tma ${initDataOf(follower)}`)).json()) as never,
  ).toMatchObject({ outcome: "connected" });
  await follower.reply();
  return (await h.credentials.current(follower.user.id))!.ref;
}

/** Headers, then a body that never ends: one byte now and then. What comes back, and when the socket closed. */
function trickle(path: string, authorization: string): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(Number(new URL(h.web!.url).port), "127.0.0.1");
    let answer = "";
    const dripping = setInterval(() => socket.writable && socket.write("{"), 50);
    socket.on("data", (data) => (answer += data.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(dripping);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: keys.example\r\nContent-Type: application/json\r\n` +
        `Authorization: ${authorization}\r\nContent-Length: 4000\r\n\r\n{`,
    );
    setTimeout(() => socket.destroy(), 5000);
  });
}

describe("the Mini App's API under attack", () => {
  it("refuses initData tampered with in every way but the token: nothing is done", async () => {
    const [alice, bob] = [h.follower(), h.follower()];
    const genuine = initDataOf(alice);
    const params = new URLSearchParams(genuine);
    const swapped = new URLSearchParams(genuine);
    swapped.set("user", JSON.stringify({ id: bob.user.id, first_name: "" }));
    const rehashed = new URLSearchParams(genuine);
    rehashed.set("hash", "0".repeat(64));
    const user = { id: alice.user.id, first_name: "A" };
    const attempts = {
      "another user's id": swapped.toString(),
      "a hash of zeros": rehashed.toString(),
      "no hash": genuine.replace(/&?hash=[0-9a-f]+/, ""),
      "dated five minutes ahead": sign({ user, query_id: "q" }, BOT_TOKEN, new Date(Date.now() + 5 * 60_000)),
      "signed for no user": sign({ query_id: "q" }, BOT_TOKEN, new Date()),
      "another bot's": sign({ user, query_id: "q" }, "987654321:AAother-bot-token-abcdefghijklmnop", new Date()),
    };
    expect(params.get("hash")).toMatch(/^[0-9a-f]{64}$/);
    for (const [what, initData] of Object.entries(attempts)) {
      const answer = await post("panic", {}, `tma ${initData}`);
      expect(answer.status, what).toBe(401);
      expect(((await answer.json()) as { refused: string }).refused, what).toBe("forged");
    }
    expect(h.telegram.botMessages(alice.chat.id)).toHaveLength(0);
    expect(h.telegram.botMessages(bob.chat.id)).toHaveLength(0);
    // The genuine one still works: the refusals above were about the tampering.
    expect((await post("words", {}, `tma ${genuine}`)).status).toBe(200);
  });

  it("cuts off a body that trickles in, and closes its connection", async () => {
    const alice = h.follower();
    const { answer, closedAfterMs } = await trickle("/app/api/connect", `tma ${initDataOf(alice)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain("Cache-Control: no-store");
    expect(closedAfterMs).toBeLessThan(BODY_DEADLINE_MS + 1500);
    expect(h.bybit.requests).toHaveLength(0);
  });

  it("gives a cross-site page nothing: no preflight answered, no CORS header, no simple request taken", async () => {
    const alice = h.follower();
    const preflight = await fetch(api("panic"), {
      method: "OPTIONS",
      headers: {
        Origin: "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });
    expect(preflight.ok).toBe(false);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    // What a form or a no-cors fetch can send: no Authorization header, a text/plain body.
    const simple = await fetch(api("panic"), {
      method: "POST",
      headers: { Origin: "https://evil.example", "Content-Type": "text/plain" },
      body: JSON.stringify({}),
    });
    expect(simple.status).toBe(401);
    expect(simple.headers.get("access-control-allow-origin")).toBeNull();
    expect(h.telegram.botMessages(alice.chat.id)).toHaveLength(0);
  });

  it("freezes nobody else's key: Bob's /panic with Alice's key's ref leaves it working", async () => {
    const [alice, bob] = [h.follower(), h.follower()];
    const ref = await connected(alice);
    const pressed = (await (await post("panic", { freezeRef: ref }, `tma ${initDataOf(bob)}`)).json()) as {
      said: string[];
    };
    expect(pressed.said.join("\n")).not.toContain("🧊");
    expect((await h.credentials.current(alice.user.id))?.status).toBe("active");
    expect(h.telegram.botMessages(alice.chat.id).at(-1)?.text).toContain("✅ Connected");
  });
});
