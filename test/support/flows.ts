import { expect } from "vitest";
import { DAY_MS } from "../../src/policy/key-policy.js";
import { canaryCredentials } from "./canaries.js";
import type { Follower, Harness } from "./harness.js";

/** Runs `/connect` (or `/rotate`) with key and secret in one message; returns the bot's verdict. */
export async function submitKey(
  follower: Follower,
  creds: { apiKey: string; apiSecret: string },
  command = "/connect",
): Promise<string> {
  follower.say(command);
  await follower.reply();
  follower.say(`${creds.apiKey} ${creds.apiSecret}`);
  expect(await follower.reply()).toBe("Checking the key with Bybit…");
  return follower.reply();
}

/** The PEM public key in the bot's "paste this into Bybit" message. */
export function publicKeyOf(text: string): string {
  const block = /<pre>([\s\S]+?)<\/pre>/.exec(text);
  if (!block) throw new Error(`no public key block in: ${text.slice(0, 200)}`);
  return `${block[1]!.trim()}\n`;
}

/** `/connect` (or `/rotate`), then "Make the key for me": returns the public key the bot showed. */
export async function makePairAndGetPublicKey(h: Harness, follower: Follower, command = "/connect"): Promise<string> {
  follower.say(command);
  await follower.reply();
  h.telegram.pressButton(follower.user, h.telegram.lastBotMessage(follower.chat.id), "connect:make-pair");
  const publicKey = publicKeyOf(await follower.reply());
  // The steps come in a message of their own.
  expect(await follower.reply()).toContain("Self-generated API Keys");
  return publicKey;
}

/** The bot's replies until one contains `text`; fails (on the reply's timeout) if it never comes. */
export async function repliesUntil(follower: Follower, text: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    seen.push(await follower.reply());
    if (seen.at(-1)!.includes(text)) return seen;
  }
}

/** A follower whose key is 85 days old, connected through the bot: its reminder came at once. */
export async function remindedFollower(h: Harness, languageCode?: string) {
  const alice = h.follower(languageCode ? { languageCode } : {});
  const creds = canaryCredentials();
  h.bybit.addKey({ ...creds, note: "old-key", createdAt: Date.now() - 85 * DAY_MS });
  alice.say("/connect");
  await alice.reply();
  alice.say(`${creds.apiKey} ${creds.apiSecret}`);
  // The reminder worker may send the reminder before the bot's "✅ Connected" arrives: wait for both (any language).
  const seen: string[] = [];
  while (!seen.some((text) => text.includes("🔁")) || !seen.some((text) => text.startsWith("✅")))
    seen.push(await alice.reply());
  const record = (await h.credentials.current(alice.user.id))!;
  const reminder = h.telegram
    .botMessages(alice.chat.id)
    .filter((message) => String(message.text ?? "").includes("🔁"))
    .at(-1)!;
  return { alice, record, creds, reminder };
}

/** "Forget the key now" under the last /panic steps, then "Yes, forget it" to the question it asks. */
export async function forgetNow(h: Harness, follower: Follower): Promise<void> {
  const withButton = (prefix: string) =>
    h.telegram
      .botMessages(follower.chat.id)
      .filter((sent) => JSON.stringify(sent.reply_markup ?? {}).includes(`"${prefix}`))
      .at(-1)!;
  const steps = withButton("panic:forget:");
  const data = JSON.stringify(steps.reply_markup).match(/"(panic:forget:[\w-]+)"/)![1]!;
  h.telegram.pressButton(follower.user, steps, data);
  expect(await follower.reply()).toMatch(/^(Forget the frozen key|Забыть замороженный ключ)/);
  h.telegram.pressButton(follower.user, withButton("panic:forget-yes:"), data.replace("forget:", "forget-yes:"));
}
