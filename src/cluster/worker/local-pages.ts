/**
 * The cluster worker's pages on this machine: a local Pool of forked render processes (per-page
 * timeout and kill, as in a local run; one attempt per page: the submitter counts attempts), fed
 * through an AsyncQueue as jobs are taken. A page can be cancelled (killed if it is rendering) or,
 * while not started, handed back.
 */
import { AsyncQueue } from "../../async-queue.js";
import type { PageResult, PageTask } from "../../pool/messages.js";
import { Pool } from "../../pool/pool.js";
import type { WorkerSpawnOptions } from "../../pool/worker-handle.js";
import { PageCancelledError, PageFailedError, PageHandedBackError } from "../page-errors.js";
import type { PageRef } from "./cancel-channel.js";

interface LocalPage extends PageRef {
  task: PageTask;
  /** The job's own timeout, capped by the worker's. */
  timeoutMs: number;
  resolve: (result: PageResult) => void;
  reject: (error: Error) => void;
}

export interface LocalPagesOptions {
  size: number;
  /** The worker's page timeout (the cap of a job's own). */
  pageTimeoutMs: number;
  maxPagesPerWorker: number;
  spawn: WorkerSpawnOptions;
}

export class LocalPages {
  private readonly pool: Pool;
  private readonly queue = new AsyncQueue<PageTask>();
  /** Pages handed to render() and not settled yet, by their local task id. */
  private readonly pages = new Map<number, LocalPage>();
  private readonly done: Promise<void>;

  constructor(options: LocalPagesOptions) {
    this.pool = new Pool(
      {
        size: options.size,
        pageTimeoutMs: (task) => this.pages.get(task.id)?.timeoutMs ?? options.pageTimeoutMs,
        maxPagesPerWorker: options.maxPagesPerWorker,
        spawn: options.spawn,
        maxAttempts: 1,
      },
      {
        onResult: (task, result) => this.settle(task.id)?.resolve(result),
        onFailure: (task, reason) => this.settle(task.id)?.reject(new PageFailedError(reason)),
      },
    );
    this.pool.prestart(options.size);
    this.done = this.pool.run(this.queue.batches());
    // The pool's run ends only through stop(); a failure (render processes that cannot start) fails
    // each page it holds through onFailure, and is awaited (and dropped) again in stop().
    this.done.catch(() => {});
  }

  /** Pages being rendered or waiting for a render process. */
  get size(): number {
    return this.pages.size;
  }

  /** The runs of the pages held. */
  runs(): string[] {
    return [...new Set([...this.pages.values()].map((page) => page.run))];
  }

  /**
   * Renders a page: resolves with its result, or rejects with PageFailedError, PageCancelledError
   * (cancel()) or PageHandedBackError (handBackUnstarted()).
   */
  render(ref: PageRef, task: PageTask, timeoutMs: number): Promise<PageResult> {
    return new Promise<PageResult>((resolve, reject) => {
      this.queue.push(task); // throws after stop(): the page is refused, not left waiting
      this.pages.set(task.id, { ...ref, task, timeoutMs, resolve, reject }); // before the pool pulls it (asynchronously)
    });
  }

  /** Kills (or unqueues) the pages that match; their render() rejects with PageCancelledError. */
  cancel(matches: (page: PageRef) => boolean): void {
    const hit = new Set([...this.pages.values()].filter(matches).map((page) => page.task));
    if (hit.size === 0) return;
    this.queue.removeWhere((task) => hit.has(task));
    void this.pool.cancel((task) => hit.has(task)); // resolves once the killed render processes are gone; never rejects
    for (const task of hit) this.settle(task.id)?.reject(new PageCancelledError());
  }

  /** Pages not started yet: their render() rejects with PageHandedBackError. Returns how many. */
  handBackUnstarted(): number {
    const unstarted = this.queue.removeWhere(() => true);
    this.pool.drop((task) => (unstarted.push(task), true)); // only the tasks queued in the pool, not those being rendered
    for (const task of unstarted) this.settle(task.id)?.reject(new PageHandedBackError());
    return unstarted.length;
  }

  /** Ends the pool once no page is held (after cancel() or their end). */
  async stop(): Promise<void> {
    this.queue.end();
    this.pool.stop();
    await this.done.catch(() => {}); // see the constructor
  }

  /** Takes a page out of the map: the first outcome wins; a later one (a kill racing its result) finds nothing. */
  private settle(id: number): LocalPage | undefined {
    const page = this.pages.get(id);
    this.pages.delete(id);
    return page;
  }
}
