import { randomBytes } from "node:crypto";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function randomAlphanumeric(length: number): string {
  return [...randomBytes(length)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join("");
}

/** Credentials shaped like Bybit's (18 and 36 characters) and unique per test, so they can be searched for everywhere. */
export function canaryCredentials(): { apiKey: string; apiSecret: string } {
  return { apiKey: `CK7${randomAlphanumeric(15)}`, apiSecret: `CS9${randomAlphanumeric(33)}` };
}
