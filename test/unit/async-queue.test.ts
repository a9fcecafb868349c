import { describe, expect, it } from "vitest";
import { AsyncQueue } from "../../src/async-queue.js";
import type { PageTask } from "../../src/pool/messages.js";

const tasks = (id: number): PageTask[] => [{ id } as PageTask];
/** Whether `promise` has settled after the pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("the async queue (the scheduler's task feed)", () => {
  it("yields what was pushed, in order, and ends after end()", async () => {
    const feed = new AsyncQueue<PageTask[]>();
    feed.push(tasks(1));
    feed.push(tasks(2));
    feed.end();
    const seen: number[] = [];
    for await (const batch of feed) seen.push(batch[0]!.id);
    expect(seen).toEqual([1, 2]);
  });

  it("is hungry only once the consumer has taken everything and waits for more", async () => {
    const feed = new AsyncQueue<PageTask[]>();
    const it = feed[Symbol.asyncIterator]();
    expect(await settled(feed.hungry())).toBe(false); // nobody pulls yet
    feed.push(tasks(1));
    feed.push(tasks(2));
    expect((await it.next()).value[0].id).toBe(1);
    expect(await settled(feed.hungry())).toBe(false); // task 2 still queued
    expect((await it.next()).value[0].id).toBe(2);
    const hungry = feed.hungry();
    expect(await settled(hungry)).toBe(false); // taken, but the consumer has not asked again
    const next = it.next();
    expect(await settled(hungry)).toBe(true);
    feed.push(tasks(3));
    expect((await next).value[0].id).toBe(3);
  });

  it("gives back tasks not pulled yet, and not those pulled", async () => {
    const feed = new AsyncQueue<PageTask[]>();
    const a = tasks(1);
    const b = tasks(2);
    feed.push(a);
    feed.push(b);
    const it = feed[Symbol.asyncIterator]();
    await it.next();
    expect(feed.remove(a)).toBe(false);
    expect(feed.remove(b)).toBe(true);
    feed.end();
    expect((await it.next()).done).toBe(true);
    expect(await settled(feed.hungry())).toBe(true);
  });
});
