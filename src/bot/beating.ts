/**
 * Runs `work`, calling `beat` every `everyMs` meanwhile: a record of work under way (a key check, /panic's
 * steps going out) says it is still alive, so that a slow Telegram or exchange is not taken for a crash. A
 * beat that fails is skipped: beats missed are what a crash looks like, and the sweep after it tells.
 */
export async function whileBeating<T>(
  beat: () => Promise<unknown>,
  everyMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => void beat().catch(() => undefined), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
