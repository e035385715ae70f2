/**
 * Buttons about one key name it: a press acts on that key only, and a button outlives its key
 * (a reminder stays in the chat after /panic, a rotation or /disconnect), so a press must find
 * the key it names still in the follower's slot before doing anything (for "Rotate now":
 * `rotatePress` in use-cases/rotate.ts).
 */

/**
 * "Rotate now" under a reminder: `rotate:start:<ref>`. Reminders sent before buttons named their
 * key say only `rotate:start`.
 */
export const rotateNowData = (ref: string) => `rotate:start:${ref}`;
export const ROTATE_NOW_PRESS = /^rotate:start(?::([\w-]+))?$/;
