import { z } from "zod";

/**
 * Bybit's system-generated HMAC keys: an 18-character key and a 36-character secret,
 * letters and digits. The bounds leave room for format changes without accepting prose.
 */
const apiKey = z.string().regex(/^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{16,32}$/);
const apiSecret = z.string().regex(/^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{32,64}$/);

export type CredentialText =
  | { kind: "key"; apiKey: string }
  | { kind: "secret"; apiSecret: string }
  | { kind: "pair"; apiKey: string; apiSecret: string }
  | { kind: "unrecognised" };

/** Reads what a follower pasted: a key, a secret, or both separated by white space. */
export function parseCredentialText(text: string): CredentialText {
  const tokens = text.trim().split(/\s+/);
  if (tokens.length === 2) {
    const [first, second] = tokens as [string, string];
    if (apiKey.safeParse(first).success && apiSecret.safeParse(second).success) {
      return { kind: "pair", apiKey: first, apiSecret: second };
    }
  }
  if (tokens.length === 1) {
    const [token] = tokens as [string];
    if (apiKey.safeParse(token).success) return { kind: "key", apiKey: token };
    if (apiSecret.safeParse(token).success) return { kind: "secret", apiSecret: token };
  }
  return { kind: "unrecognised" };
}

/** True when any word of a message could be an API key or secret: used to clean up where keys must not be. */
export function containsCredentialLike(text: string): boolean {
  return text.split(/\s+/).some((word) => apiKey.safeParse(word).success || apiSecret.safeParse(word).success);
}
