/**
 * When a cluster worker takes pages beyond its render processes (prefetch), as a pure policy: the
 * worker asks it on each job taken and when another worker says it is idle, and sets BullMQ's
 * concurrency to `slots`.
 *
 * A prefetched page waits in the worker's local pool, so that a render process starts its next page
 * the moment it finishes one, instead of idling while the page before is uploaded and reported and
 * the next job is fetched (10-20 ms a page, 4-5% of its time at 300 DPI). A prefetched page is held
 * like the others (its lock renewed, recovered by the stalled check if the worker is lost); its page
 * timeout starts when it starts rendering (the pool's own).
 */

/** Pages a worker takes beyond its render processes. */
export const PREFETCH = 1;

export class PrefetchPolicy {
  private on = true;

  /** `renderers`: the worker's render processes. */
  constructor(
    private readonly renderers: number,
    private readonly extra = PREFETCH,
  ) {}

  /** Jobs the worker may hold at once (BullMQ's concurrency). */
  get slots(): number {
    return this.renderers + (this.on ? this.extra : 0);
  }

  get prefetching(): boolean {
    return this.on;
  }

  /**
   * A job was taken while `held` others were held (rendering, or waiting for a render process), with
   * `waiting` jobs in the queue (read as it was taken): whether the worker keeps it. A job taken while
   * every render process is busy (prefetched) is kept only while more jobs wait in the queue. With
   * none left, the run is in its tail: another worker may go idle while this page waits here, so it
   * goes back to the queue (for whichever render process frees first) and prefetching stops; it
   * starts again once a job is taken with a render process free and others still waiting.
   */
  taken(held: number, waiting: number): boolean {
    if (held < this.renderers) {
      if (waiting > 0) this.on = true;
      return true;
    }
    if (waiting > 0) return true;
    this.on = false;
    return false;
  }

  /** Another worker has nothing to render, and `handedBack` pages waiting here went back to the queue for it. */
  otherIdle(handedBack: number): void {
    if (handedBack > 0) this.on = false;
  }
}
