import { GrammyError, type Api } from "grammy";

export type Shredding = { deleted: true } | { deleted: false; reason: "not-allowed" | "network" };

/** Deletes messages that carry credentials, once per message however many places ask for it. */
export interface Shredder {
  shred(chatId: number, messageId: number): Promise<Shredding>;
}

/** How long a deletion's outcome is remembered for the handlers that come after the first request. */
const REMEMBER_MS = 5 * 60_000;

export function createShredder(api: Api): Shredder {
  const inFlight = new Map<string, Promise<Shredding>>();

  async function deleteMessage(chatId: number, messageId: number): Promise<Shredding> {
    try {
      await api.deleteMessage(chatId, messageId);
      return { deleted: true };
    } catch (error) {
      if (!(error instanceof GrammyError)) return { deleted: false, reason: "network" };
      // Already gone (the follower was quicker than us) is what we wanted.
      if (/message to delete not found/i.test(error.description)) return { deleted: true };
      return { deleted: false, reason: "not-allowed" };
    }
  }

  return {
    shred(chatId, messageId) {
      const id = `${chatId}:${messageId}`;
      let shredding = inFlight.get(id);
      if (!shredding) {
        shredding = deleteMessage(chatId, messageId);
        inFlight.set(id, shredding);
        setTimeout(() => inFlight.delete(id), REMEMBER_MS).unref();
      }
      return shredding;
    },
  };
}
