import { describe, expect, it } from "vitest";
import { PoolError } from "../../dist/errors.js";
import { Pool } from "../../dist/pool/pool.js";
import type { PageTask } from "../../dist/pool/messages.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SAMPLE, scratch } from "../helpers/cli.js";
import { workerPidsOf } from "../helpers/processes.js";
import { pageTask, spawnOptions } from "../helpers/task.js";


describe("Pool", () => {
  it("kills workers that hang while starting and stops after three of them, instead of waiting forever", async () => {
    const dir = scratch();
    const pool = new Pool(
      {
        size: 3,
        pageTimeoutMs: 60_000,
        maxPagesPerWorker: 10,
        spawn: spawnOptions({ PDFRASTER_WORKER: "1", PDFRASTER_FAULT: "boot-hang" }, { readable: [], workParent: dir }, { startTimeoutMs: 1500 }),
      },
      { onResult: () => expect.fail("no page can render"), onFailure: () => expect.fail("no page was sent") },
    );
    const task = { id: 0, pageNumber: 1 } as PageTask; // never reaches a worker
    const error: unknown = await pool.run([task]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolError);
    expect((error as Error).message).toBe("Workers failed to start 3 times in a row: worker did not start within 1.5 s");
    await expect(pool.run([task])).resolves.toBeUndefined(); // a stopped pool does not start again
    expect(workerPidsOf(process.pid)).toEqual([]); // killed (they ignore SIGTERM: SIGKILL after the grace period)
  });

  it("prestarted workers are trimmed to the page count, then render the pages; a failing hint is harmless", async () => {
    const dir = scratch();
    const results: { page: number; pid: number }[] = [];
    const pool = new Pool(
      { size: 2, pageTimeoutMs: 60_000, maxPagesPerWorker: 10, spawn: spawnOptions({ PDFRASTER_WORKER: "1", PDFRASTER_ENGINE: "pdfjs" }, { readable: [SAMPLE, dir], workParent: dir }) },
      {
        onResult: (task, _result, meta) => results.push({ page: task.pageNumber, pid: meta.workerPid }),
        onFailure: (task, reason) => expect.fail(`page ${task.pageNumber} failed: ${reason}`),
      },
    );
    pool.prestart(2);
    expect(workerPidsOf(process.pid)).toHaveLength(2); // forked at once, before any task
    // One page to render: one worker is let go. The hint names a document that does not exist:
    // the worker fails to open it in advance, which must not touch the real task.
    pool.prestart(1, { source: join(dir, "missing.pdf"), engine: "pdfjs" });
    await waitFor(() => workerPidsOf(process.pid).length === 1);
    const [kept] = workerPidsOf(process.pid);
    const task = (pageNumber: number): PageTask => pageTask({ id: pageNumber, source: SAMPLE, pageNumber, outPath: join(dir, `page-${pageNumber}.jpg`) });
    await pool.run([task(1), task(2)]);
    expect(results.map((r) => r.page).sort()).toEqual([1, 2]);
    expect(results.every((r) => r.pid === kept)).toBe(true); // the prestarted worker did the work, alone
    expect(existsSync(join(dir, "page-2.jpg"))).toBe(true);
    expect(workerPidsOf(process.pid)).toEqual([]);
  });

  it("a prestarted pool whose run never comes (planning failed) leaves no worker behind", async () => {
    const dir = scratch();
    const pool = new Pool(
      { size: 2, pageTimeoutMs: 60_000, maxPagesPerWorker: 10, spawn: spawnOptions({ PDFRASTER_WORKER: "1" }, { readable: [], workParent: dir }) },
      { onResult: () => expect.fail("nothing to render"), onFailure: () => expect.fail("nothing to render") },
    );
    pool.prestart(2);
    expect(workerPidsOf(process.pid)).toHaveLength(2);
    await pool.dispose();
    expect(workerPidsOf(process.pid)).toEqual([]);
  });

  it("prestarted workers that cannot start fail the run that follows", async () => {
    const dir = scratch();
    const pool = new Pool(
      {
        size: 3,
        pageTimeoutMs: 60_000,
        maxPagesPerWorker: 10,
        spawn: spawnOptions({ PDFRASTER_WORKER: "1", PDFRASTER_FAULT: "boot" }, { readable: [], workParent: dir }),
      },
      { onResult: () => expect.fail("no page can render"), onFailure: () => expect.fail("no page was sent") },
    );
    pool.prestart(3);
    await waitFor(() => workerPidsOf(process.pid).length === 0);
    await expect(pool.run([{ id: 0, pageNumber: 1 } as PageTask])).rejects.toThrow(/^Workers failed to start 3 times in a row/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
