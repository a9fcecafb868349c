import { describe, expect, it } from "vitest";
import { AsyncQueue } from "../../dist/async-queue.js";
import { PrefetchPolicy } from "../../dist/cluster/worker/prefetch.js";
import { MAX_ATTEMPTS, nextAttempt } from "../../dist/pool/attempts.js";
import type { PageTask } from "../../dist/pool/messages.js";

describe("PrefetchPolicy", () => {
  it("takes one page beyond the render processes to begin with", () => {
    const policy = new PrefetchPolicy(3);
    expect(policy.prefetching).toBe(true);
    expect(policy.slots).toBe(4);
  });

  it("keeps a page taken with a render process free, whatever the queue holds", () => {
    const policy = new PrefetchPolicy(2);
    expect(policy.taken(0, 0)).toBe(true);
    expect(policy.taken(1, 0)).toBe(true);
    expect(policy.slots).toBe(3);
  });

  it("keeps a prefetched page while others wait in the queue", () => {
    const policy = new PrefetchPolicy(2);
    expect(policy.taken(2, 5)).toBe(true);
    expect(policy.slots).toBe(3);
  });

  it("hands back a prefetched page in the run's tail (nothing waiting) and stops prefetching", () => {
    const policy = new PrefetchPolicy(2);
    expect(policy.taken(2, 0)).toBe(false);
    expect(policy.prefetching).toBe(false);
    expect(policy.slots).toBe(2);
  });

  it("starts again on a page taken with a render process free and others waiting, not before", () => {
    const policy = new PrefetchPolicy(1);
    policy.taken(1, 0);
    expect(policy.slots).toBe(1);
    policy.taken(0, 0); // free render process, but nothing waits: the tail goes on
    expect(policy.slots).toBe(1);
    policy.taken(1, 3); // held by all render processes: no news about a free one
    expect(policy.slots).toBe(1);
    policy.taken(0, 3);
    expect(policy.slots).toBe(2);
  });

  it("stops prefetching when another worker went idle and a page was handed back to it", () => {
    const policy = new PrefetchPolicy(2);
    policy.otherIdle(0);
    expect(policy.slots).toBe(3);
    policy.otherIdle(1);
    expect(policy.slots).toBe(2);
  });
});

const task = { id: 1, engine: "pdfjs" } as unknown as PageTask;
const fallback = { id: 1, engine: "pdfium" } as unknown as PageTask;

describe("nextAttempt (the Pool's and the cluster submitter's retry rule)", () => {
  it("retries once by default, with the same task", () => {
    expect(MAX_ATTEMPTS).toBe(2);
    expect(nextAttempt({ task, attempt: 1 })).toEqual({ task, attempt: 2 });
    expect(nextAttempt({ task, attempt: 2 })).toBeUndefined();
  });

  it("retries on the retry task (the fallback engine)", () => {
    const next = nextAttempt({ task, attempt: 1 }, { retryTask: () => fallback });
    expect(next?.task).toBe(fallback);
  });

  it("makes no retry with one attempt (a cluster worker's pool: the submitter counts attempts)", () => {
    expect(nextAttempt({ task, attempt: 1 }, { maxAttempts: 1 })).toBeUndefined();
    expect(nextAttempt({ task, attempt: 2 }, { maxAttempts: 3 })).toEqual({ task, attempt: 3 });
  });
});

describe("AsyncQueue", () => {
  it("hands items out in order, one at a time, and ends once ended and drained", async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const item of queue) seen.push(item);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([1, 2]);
    queue.push(3); // wakes the waiting consumer
    queue.end();
    await consumer;
    expect(seen).toEqual([1, 2, 3]);
    expect(() => queue.push(4)).toThrow(/ended/);
  });

  it("hands out everything queued at once as a batch", async () => {
    const queue = new AsyncQueue<string>();
    const batches: string[][] = [];
    const consumer = (async () => {
      for await (const batch of queue.batches()) batches.push(batch);
    })();
    queue.push("a");
    queue.push("b");
    await new Promise((resolve) => setImmediate(resolve));
    queue.push("c");
    queue.end();
    await consumer;
    expect(batches).toEqual([["a", "b"], ["c"]]);
  });

  it("takes back items not pulled yet", () => {
    const queue = new AsyncQueue<number>();
    for (const n of [1, 2, 3, 4]) queue.push(n);
    expect(queue.remove(2)).toBe(true);
    expect(queue.remove(2)).toBe(false);
    const asked: number[] = [];
    expect(queue.removeWhere((n) => (asked.push(n), n > 2))).toEqual([3, 4]);
    expect(asked).toEqual([1, 3, 4]); // each asked once
    expect(queue.length).toBe(1);
  });
});
