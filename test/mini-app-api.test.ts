import { Api } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publishMenuButton } from "../src/bot/web/mini-app/index.js";
import { canaryCredentials, randomAlphanumeric } from "./support/canaries.js";
import { FakeTelegram } from "./support/fake-telegram.js";
import { BOT_TOKEN, ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";
import { initDataOf, miniAppFeature, PUBLIC_URL, webAppButtonUrl } from "./support/mini-app.js";

// The Mini App's HTTP side, without a browser: the buttons, the vault door's headers, and what is refused.
let h: Harness;
beforeEach(async () => {
  h = await startHarness({ web: [miniAppFeature], telegramLimits: ROOMY_CHATS });
});
afterEach(() => h.stop());

/** The ticket of the page /connect's button opens. */
async function ticketOf(follower: Follower): Promise<string> {
  follower.say("/connect");
  await follower.reply();
  return new URL(webAppButtonUrl(h, follower)).searchParams.get("t")!;
}

function post(path: string, body: unknown, authorization?: string, type = "application/json") {
  const headers: Record<string, string> = { "Content-Type": type };
  if (authorization) headers.Authorization = authorization;
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  return fetch(`${h.web!.url}/app/api/${path}`, { method: "POST", headers, body: payload });
}
const as = (follower: Follower) => `tma ${initDataOf(follower)}`;

describe("the Mini App's HTTP side", () => {
  it("/connect offers the page with a one-time ticket, and /status the key's life", async () => {
    const alice = h.follower();
    const ticket = await ticketOf(alice);
    const choice = h.telegram.lastBotMessage(alice.chat.id);
    const first = (choice.reply_markup as { inline_keyboard: { text: string; web_app?: { url: string } }[][] })
      .inline_keyboard[0]![0]!;
    expect(first.text).toBe("🔐 Type it in a secure page");
    expect(first.web_app!.url).toBe(`${PUBLIC_URL}/app/connect?t=${ticket}`);
    expect(JSON.stringify(choice.reply_markup)).toContain("connect:have-secret");

    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    const answer = await post("connect", { ticket, ...creds }, as(alice));
    expect(((await answer.json()) as { outcome: string }).outcome).toBe("connected");
    await alice.reply();
    alice.say("/status");
    await alice.reply();
    expect(webAppButtonUrl(h, alice)).toBe(`${PUBLIC_URL}/app/status`);
  });

  it("answers with a strict CSP, no caching, no referrer and no sniffing, pages and assets alike", async () => {
    for (const path of ["/app/connect", "/app/home", "/app/app.js", "/app/app.css", "/app/timeline.js"]) {
      const response = await fetch(`${h.web!.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-security-policy")).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
          "form-action 'self'; base-uri 'none'; frame-ancestors https://web.telegram.org",
      );
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const page = await (await fetch(`${h.web!.url}/app/connect`)).text();
    expect(page).not.toMatch(/<script>|style=|https?:\/\//);
  });

  it("refuses a body too large, or not JSON, and initData missing or forged, asking Bybit nothing", async () => {
    const alice = h.follower();
    const ticket = await ticketOf(alice);
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    const before = h.bybit.requests.length;
    expect((await post("connect", { ticket, ...creds, padding: "x".repeat(5000) }, as(alice))).status).toBe(413);
    expect((await post("connect", `ticket=${ticket}`, as(alice), "application/x-www-form-urlencoded")).status).toBe(
      400,
    );
    expect((await post("connect", { ticket, ...creds })).status).toBe(401);
    const forged = await post("connect", { ticket, ...creds }, `tma ${initDataOf(alice, { token: "1:forged" })}`);
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { refused: string }).refused).toBe("forged");
    expect(h.bybit.requests.length).toBe(before);
    expect(h.logs.join("\n")).not.toContain(creds.apiSecret);
  });

  it("takes a ticket from its own follower only, once; a refusal comes with a fresh one", async () => {
    const [alice, bob] = [h.follower(), h.follower()];
    const ticket = await ticketOf(alice);
    const creds = canaryCredentials();
    const readOnly = canaryCredentials();
    h.bybit.addKey(creds);
    h.bybit.addKey({ ...readOnly, readOnly: true });
    const stolen = await post("connect", { ticket, ...creds }, as(bob));
    expect(stolen.status).toBe(403);
    expect(((await stolen.json()) as { html: string }).html).toContain("another Telegram account");

    const refused = (await (await post("connect", { ticket, ...readOnly }, as(alice))).json()) as {
      outcome: string;
      html: string;
      ticket: string;
    };
    expect(refused.outcome).toBe("refused");
    expect(refused.html).toContain("❌");
    expect((await post("connect", { ticket, ...creds }, as(alice))).status).toBe(410);
    const connected = (await (await post("connect", { ticket: refused.ticket, ...creds }, as(alice))).json()) as {
      outcome: string;
      ticket: string | null;
    };
    expect(connected).toMatchObject({ outcome: "connected", ticket: null });
  });

  it("connects nothing with the form of a flow the follower cancelled", async () => {
    const alice = h.follower();
    const ticket = await ticketOf(alice);
    alice.say("/cancel");
    expect(await alice.reply()).toBe("Cancelled. Nothing was stored.");
    const creds = canaryCredentials();
    h.bybit.addKey(creds);
    const requests = h.bybit.requests.length;
    expect((await post("connect", { ticket, ...creds }, as(alice))).status).toBe(410);
    expect(h.bybit.requests.length).toBe(requests);
    expect(await h.credentials.current(alice.user.id)).toBeNull();
  });

  it("shows the key pair made before the page was reopened, instead of making one that Bybit does not know", async () => {
    const bob = h.follower();
    const ticket = await ticketOf(bob);
    const opened = (await (await post("connect/open", { ticket }, as(bob))).json()) as { pair: unknown };
    expect(opened.pair).toBeNull();
    const made = (await (await post("connect/pair", { ticket }, as(bob))).json()) as { publicKeyPem: string };
    expect(made.publicKeyPem).toContain("BEGIN PUBLIC KEY");
    // Bob pastes the public key in Bybit, which takes a while; Telegram reloads the page meanwhile.
    h.now += 6 * 60_000;
    const apiKey = `RK${randomAlphanumeric(16)}`;
    h.bybit.addKey({ apiKey, rsaPublicKey: made.publicKeyPem, note: "made-before" });
    const reopened = (await (await post("connect/open", { ticket }, as(bob))).json()) as {
      pair: { publicKeyPem: string; html: string };
    };
    expect(reopened.pair.publicKeyPem).toBe(made.publicKeyPem);
    expect(reopened.pair.html).toContain("valid for 24 minutes");
    const connected = (await (await post("connect", { ticket, way: "rsa", apiKey }, as(bob))).json()) as {
      outcome: string;
    };
    expect(connected.outcome).toBe("connected");
    expect(await bob.reply()).toContain("✅ Connected: key “made-before”");
  });

  it("sets the bot's menu button to the home page", async () => {
    const telegram = new FakeTelegram(BOT_TOKEN);
    await publishMenuButton(new Api(BOT_TOKEN, { apiRoot: await telegram.start() }), PUBLIC_URL);
    await telegram.stop();
    const [call] = telegram.callsOf("setChatMenuButton");
    expect(call!.payload.menu_button).toEqual({
      type: "web_app",
      text: "My key",
      web_app: { url: `${PUBLIC_URL}/app/home` },
    });
  });
});
