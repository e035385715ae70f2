import { expect } from "vitest";
import type { Follower } from "./harness.js";

/** Runs `/connect` (or `/rotate`) with key and secret in one message; returns the bot's verdict. */
export async function submitKey(follower: Follower, creds: { apiKey: string; apiSecret: string }, command = "/connect"): Promise<string> {
  follower.say(command);
  await follower.reply();
  follower.say(`${creds.apiKey} ${creds.apiSecret}`);
  expect(await follower.reply()).toBe("Checking the key with Bybit…");
  return follower.reply();
}
