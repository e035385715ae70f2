import type { CredentialRecord, CredentialStore } from "../stores/credential-store.js";

export interface RotatePressDeps {
  credentials: Pick<CredentialStore, "current">;
}

/**
 * A press of "Rotate now" (under a reminder): the ref its button names (if any), and when its
 * message was sent (Telegram's seconds; 0 if unknown).
 */
export interface KeyButtonPress {
  ref: string | undefined;
  messageDate: number;
}

/**
 * What a press of "Rotate now" leads to. A button outlives its key (a reminder stays in the chat
 * after /panic, a rotation or /disconnect): pressed for a key the follower no longer has, it must
 * leave the key they have now alone.
 */
export type RotatePress =
  /** The press is about the key in the follower's slot: replacing it begins (the connect use case, with `previous`). */
  | { kind: "rotate"; current: CredentialRecord }
  /** About another key: nothing begins. `inUse`: whether a working key is connected now (the one that stays). */
  | { kind: "old-button"; inUse: boolean };

export async function rotatePress(deps: RotatePressDeps, userId: number, press: KeyButtonPress): Promise<RotatePress> {
  const current = await deps.credentials.current(userId);
  // With no key in use now, "replace the key you have now" would point nowhere.
  const inUse = current?.status === "active";
  if (pressIsForCurrentKey(press, current)) return { kind: "rotate", current };
  return { kind: "old-button", inUse };
}

/**
 * Whether a press is about the key the follower has now. A button without a ref (sent before
 * buttons named their key) counts only if its message came after this key was connected: then it
 * can have been about no other key.
 */
export function pressIsForCurrentKey(
  press: KeyButtonPress,
  current: CredentialRecord | null,
): current is CredentialRecord {
  if (!current) return false;
  if (press.ref !== undefined) return press.ref === current.ref;
  return press.messageDate * 1000 >= current.connectedAt;
}
