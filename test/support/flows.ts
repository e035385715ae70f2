import { expect } from "vitest";
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
  return publicKeyOf(await follower.reply());
}
