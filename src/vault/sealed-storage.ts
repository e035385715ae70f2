import { SealError, type Sealer } from "./sealer.js";

/** The read/write/delete shape shared by grammY's storage adapters (structural, so the vault stays Telegram-free). */
export interface KeyValueStorage<T> {
  read(key: string): Promise<T | undefined>;
  write(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Told when a stored value could not be opened (never its content): it has been deleted. */
export type OnUnreadable = (key: string, error: Error) => void;

/** A value above the storage's size limit: not written, and what was stored under its key is gone too. */
export class StateTooLargeError extends Error {
  readonly safeMessage = true;
  constructor(readonly bytes: number) {
    super(`state of ${bytes} bytes is above the limit; dropped`);
    this.name = "StateTooLargeError";
  }
}

/** Where the bot keeps each chat's flow state (sealed, purpose "conversation"); the plugin appends the chat id. */
export const FLOW_STATE_PREFIX = "conversation:";

export const sealedStorageContext = (purpose: string, key: string) => `purpose=${purpose}|key=${key}`;

/**
 * Wraps a string storage so that every value is sealed at rest, bound to its storage key.
 * Conversation state holds the very messages that carried a key and its secret, so it
 * must never reach Redis in clear.
 *
 * A value that cannot be opened (corrupted, or sealed with a keyring entry retired too early)
 * is deleted and read as absent: it is only ever the state of a flow under way, and keeping it
 * would fail every update of that chat, /panic included, until it expired.
 *
 * A value above `maxBytes` is not written: the state under its key is deleted (the flow ends)
 * and the write fails, so that the update that made it so is answered as failed.
 */
export function sealedStorage<T>(
  inner: KeyValueStorage<string>,
  sealer: Sealer,
  purpose: string,
  onUnreadable: OnUnreadable,
  maxBytes = Infinity,
): KeyValueStorage<T> {
  const context = (key: string) => sealedStorageContext(purpose, key);
  return {
    async read(key) {
      try {
        const stored = await inner.read(key);
        if (stored === undefined) return undefined;
        return JSON.parse(sealer.open(Buffer.from(stored, "base64"), context(key)).toString("utf8")) as T;
      } catch (error) {
        // Unreadable bytes, not an unreachable Redis: that error goes up as it is.
        if (!(error instanceof SealError || error instanceof SyntaxError)) throw error;
        await inner.delete(key);
        onUnreadable(key, error);
        return undefined;
      }
    },
    async write(key, value) {
      const plain = Buffer.from(JSON.stringify(value));
      if (plain.length > maxBytes) {
        await inner.delete(key);
        throw new StateTooLargeError(plain.length);
      }
      await inner.write(key, sealer.seal(plain, context(key)).toString("base64"));
    },
    delete: (key) => inner.delete(key),
  };
}
