/**
 * A wait with an upper bound whose timer never outlives it. A `setTimeout` raced with
 * `Promise.race` and left running keeps the process up until it fires: an idle `pdfraster serve`
 * waited out its whole grace period after "stopped".
 */

/**
 * Waits for `work` at most `ms` milliseconds: resolves with its value, or with `fallback` when the
 * time is up first. A rejection of `work` within the time passes through. The timer is cleared
 * either way (it is not unref'd: while it runs, the wait it bounds is what the process is doing).
 */
export async function withDeadline<T, F = undefined>(work: Promise<T>, ms: number, fallback?: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback as F), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
