import type { Sealer } from "./sealer.js";

/** The read/write/delete shape shared by grammY's storage adapters (structural, so the vault stays Telegram-free). */
export interface KeyValueStorage<T> {
  read(key: string): Promise<T | undefined>;
  write(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * Wraps a string storage so that every value is sealed at rest, bound to its storage key.
 * Conversation state holds the very messages that carried a key and its secret, so it
 * must never reach Redis in clear.
 */
export function sealedStorage<T>(inner: KeyValueStorage<string>, sealer: Sealer, purpose: string): KeyValueStorage<T> {
  const context = (key: string) => `purpose=${purpose}|key=${key}`;
  return {
    async read(key) {
      const stored = await inner.read(key);
      if (stored === undefined) return undefined;
      return JSON.parse(sealer.open(Buffer.from(stored, "base64"), context(key)).toString("utf8")) as T;
    },
    async write(key, value) {
      await inner.write(key, sealer.seal(Buffer.from(JSON.stringify(value)), context(key)).toString("base64"));
    },
    delete: (key) => inner.delete(key),
  };
}
