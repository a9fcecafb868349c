import type { PageTask } from "./messages.js";

/**
 * Tasks that keep coming (a batch plans its next document while earlier pages render), pulled one
 * batch at a time by an executor when it runs low: the local Pool and the cluster submitter.
 */
export class TaskSource {
  private iterator: AsyncIterator<PageTask[]> | undefined;
  private pulling = false;

  constructor(tasks: AsyncIterable<PageTask[]>) {
    this.iterator = tasks[Symbol.asyncIterator]();
  }

  /** More tasks may come (the iterable has not ended, and close() was not called). */
  get open(): boolean {
    return this.iterator !== undefined;
  }

  /** Whether more may come now: open, and no pull under way. */
  get idle(): boolean {
    return this.iterator !== undefined && !this.pulling;
  }

  /**
   * Pulls the next batch unless one is being pulled: `onTasks` gets it, or [] at the end (then
   * `open` is false); `onError` gets a failure of the iterable. Neither is called after close().
   */
  pull(onTasks: (tasks: PageTask[]) => void, onError: (error: Error) => void): void {
    const iterator = this.iterator;
    if (!iterator || this.pulling) return;
    this.pulling = true;
    iterator.next().then(
      (next) => {
        this.pulling = false;
        if (this.iterator !== iterator) return;
        if (next.done) this.iterator = undefined;
        onTasks(next.done ? [] : next.value);
      },
      (error: unknown) => {
        this.pulling = false;
        if (this.iterator !== iterator) return;
        this.iterator = undefined;
        onError(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /** Stops pulling and lets the iterable clean up. */
  close(): void {
    const iterator = this.iterator;
    this.iterator = undefined;
    void iterator?.return?.()?.catch(() => {}); // the caller stopped reading: an error cleaning up the source has nobody to go to
  }
}
