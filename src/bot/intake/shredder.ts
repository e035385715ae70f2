import type { MessageAddress } from "./carriers.js";
import type { DeleteOutcome } from "./fast-delete.js";

export type Shredding = DeleteOutcome;

/** Deletes messages that carry credentials, once per message however many places ask for it. */
export interface Shredder {
  shred(message: MessageAddress): Promise<Shredding>;
}

/** How long a deletion's outcome is remembered for the handlers that come after the first request. */
const REMEMBER_MS = 5 * 60_000;

export function createShredder(deleteMessage: (message: MessageAddress) => Promise<DeleteOutcome>): Shredder {
  const started = new Map<string, Promise<Shredding>>();
  return {
    shred(message) {
      const id = `${message.businessConnectionId ?? ""}:${message.chatId}:${message.messageId}`;
      let shredding = started.get(id);
      if (!shredding) {
        shredding = deleteMessage(message);
        started.set(id, shredding);
        setTimeout(() => started.delete(id), REMEMBER_MS).unref();
      }
      return shredding;
    },
  };
}
