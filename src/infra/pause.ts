/**
 * Waits `ms`, or ends early (resolving) when `signal` aborts: whoever waits then sees the abort.
 * `unref`: the timer never keeps the process alive.
 */
export function pause(ms: number, signal?: AbortSignal | null, { unref = false } = {}): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (unref) timer.unref();
    signal?.addEventListener("abort", done, { once: true });
  });
}
