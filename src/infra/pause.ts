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

/** Waits for `promise` to settle, but `ms` at most; its outcome is not looked at, and the timer goes once it settles. */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  const settled = new AbortController();
  await Promise.race([promise.catch(() => undefined), pause(ms, settled.signal)]);
  settled.abort();
}
