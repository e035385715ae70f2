/** Telegram refuses a message longer than this (counted without markup; counting it too errs on the safe side). */
const MESSAGE_LIMIT = 4096;

/** Packs lines into as few messages as fit, never breaking a line. */
export function splitIntoMessages(lines: string[], limit = MESSAGE_LIMIT): string[] {
  const messages: string[] = [];
  let current = "";
  for (const line of lines) {
    const candidate = current === "" ? line : `${current}\n${line}`;
    if (candidate.length <= limit) {
      current = candidate;
      continue;
    }
    if (current !== "") messages.push(current);
    current = line.slice(0, limit);
  }
  if (current !== "") messages.push(current);
  return messages;
}
