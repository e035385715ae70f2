/** What Bybit says about an API key, in our own terms. Produced by `src/exchange`, judged by `key-policy`. */
export interface ApiKeyFacts {
  /** Bybit's own id of the key (not the key itself). */
  id: string;
  /** The name the follower gave the key in Bybit ("note"). */
  name: string;
  readOnly: boolean;
  /** Category (ContractTrade, Wallet, Spot, ...) to the permissions granted in it. */
  permissions: Record<string, string[]>;
  /** IPs the key is bound to; empty when it works from anywhere. */
  ips: string[];
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds; null for a key that does not expire (IP-bound keys). */
  expiresAt: number | null;
  unifiedAccount: boolean;
  /** For a self-generated (RSA) key: the public key Bybit holds for it, as `normalisePublicKey` gives it; null for HMAC keys. */
  rsaPublicKey: string | null;
}

/** What signs requests: an HMAC secret, or for a self-generated key the RSA private key as a PKCS#8 PEM. */
export interface Credentials {
  apiKey: string;
  apiSecret: string;
}

/** System-generated keys sign with HMAC; self-generated keys with RSA, from a private key only we hold. */
export type KeyType = "hmac" | "rsa";

/** The secret of a self-generated key is a PEM private key; a system-generated secret is letters and digits. */
export const isPrivateKeyPem = (secret: string) => secret.includes("PRIVATE KEY-----");

export const keyTypeOf = (credentials: Credentials): KeyType =>
  isPrivateKeyPem(credentials.apiSecret) ? "rsa" : "hmac";

/** `Ab12…9xYz`: enough for a follower to recognise a key in Bybit's list, not enough to use it. */
export function maskApiKey(apiKey: string): string {
  return `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
}
