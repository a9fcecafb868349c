/**
 * An unbounded async queue: producers push, one consumer pulls with `for await`, either one item at
 * a time (iterate the queue) or everything queued so far at once (`batches()`, as a Pool pulls its
 * tasks). The consumer's loop ends once end() was called and the queue is empty. A consumer that
 * pulls only when it runs low (a Pool) makes the queue "hungry" when it has taken everything and
 * waits for more: a producer can wait for that (hungry()) before making its next item (a batch opens
 * its next document then, not before).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  /** The consumer waits for items and there are none. */
  private waiting = false;
  private readonly onHungry = new Set<() => void>();

  /** Items waiting to be pulled. */
  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) throw new Error("the queue has ended");
    this.items.push(item);
    this.wake?.();
  }

  /** Takes back an item not pulled yet; false when it has been. */
  remove(item: T): boolean {
    const index = this.items.indexOf(item);
    if (index === -1) return false;
    this.items.splice(index, 1);
    return true;
  }

  /** Takes back every item not pulled yet that matches; returns them. */
  removeWhere(matches: (item: T) => boolean): T[] {
    const [removed, kept]: [T[], T[]] = [[], []];
    for (const item of this.items) (matches(item) ? removed : kept).push(item);
    this.items = kept;
    return removed;
  }

  /** No more items: the consumer's loop ends once those queued are pulled. */
  end(): void {
    this.ended = true;
    this.wake?.();
    this.fedUp();
  }

  /** Resolves when the consumer has pulled everything and waits for more, or the queue has ended. */
  hungry(): Promise<void> {
    if (this.ended || (this.waiting && this.items.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.onHungry.add(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) return;
      await this.next();
    }
  }

  /** Everything queued at each wake-up, as one batch. */
  async *batches(): AsyncIterable<T[]> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.splice(0);
        continue;
      }
      if (this.ended) return;
      await this.next();
    }
  }

  private async next(): Promise<void> {
    this.waiting = true;
    this.fedUp();
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.waiting = false;
    this.wake = undefined;
  }

  /** Tells those waiting for hungry(). */
  private fedUp(): void {
    for (const resolve of this.onHungry) resolve();
    this.onHungry.clear();
  }
}
