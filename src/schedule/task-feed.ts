import type { PageTask } from "../pool/messages.js";

/**
 * The scheduler's documents, as their tasks, waiting for the executor to pull them: an async
 * iterable that stays open until end(). The executor pulls when its own queue runs low, so the
 * feed also says when it is hungry (see {@link TaskFeed.hungry}): a batch plans its next document
 * then, not before.
 */
export class TaskFeed implements AsyncIterable<PageTask[]> {
  private readonly items: PageTask[][] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  /** The executor is waiting for tasks and there are none. */
  private waiting = false;
  private readonly onHungry = new Set<() => void>();

  push(tasks: PageTask[]): void {
    if (this.ended) throw new Error("the task feed has ended");
    this.items.push(tasks);
    this.wake?.();
  }

  /** Takes back tasks not pulled yet; true when they were still here. */
  remove(tasks: PageTask[]): boolean {
    const index = this.items.indexOf(tasks);
    if (index === -1) return false;
    this.items.splice(index, 1);
    return true;
  }

  /** No more tasks: the iteration ends once those queued are pulled. */
  end(): void {
    this.ended = true;
    this.wake?.();
    this.feed();
  }

  /** Resolves when the executor has pulled everything and waits for more (or the feed ended). */
  hungry(): Promise<void> {
    if (this.ended || (this.waiting && this.items.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.onHungry.add(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PageTask[]> {
    for (;;) {
      const tasks = this.items.shift();
      if (tasks) {
        yield tasks;
        continue;
      }
      if (this.ended) return;
      this.waiting = true;
      this.feed();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.waiting = false;
      this.wake = undefined;
    }
  }

  private feed(): void {
    for (const resolve of this.onHungry) resolve();
    this.onHungry.clear();
  }
}
