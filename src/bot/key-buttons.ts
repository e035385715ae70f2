import type { CredentialRecord } from "../stores/credential-store.js";

/**
 * Buttons about one key name it: a press acts on that key only, and a button outlives its key
 * (a reminder stays in the chat after /panic, a rotation or /disconnect), so a press must find
 * the key it names still in the follower's slot before doing anything.
 */

/**
 * "Rotate now" under a reminder: `rotate:start:<ref>`. Reminders sent before buttons named their
 * key say only `rotate:start`.
 */
export const rotateNowData = (ref: string) => `rotate:start:${ref}`;
export const ROTATE_NOW_PRESS = /^rotate:start(?::([\w-]+))?$/;

/** A press: the ref its button names (if any), and when its message was sent (Telegram's seconds; 0 if unknown). */
export interface KeyButtonPress {
  ref: string | undefined;
  messageDate: number;
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
