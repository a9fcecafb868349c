import { PoolError } from "../errors.js";
import type { ExecutorStats, PageExecutor, PageHandlers } from "./executor.js";
import { nextAttempt, type Attempt, type RetryPolicy } from "./attempts.js";
import type { PageTask, PrepareHint } from "./messages.js";
import { TaskSource } from "./source.js";
import { TaskError, WorkerHandle, type WorkerSpawnOptions } from "./worker-handle.js";

export interface PoolOptions extends RetryPolicy {
  size: number;
  /** How long a page may take before its worker is killed: one value, or per task (a cluster worker caps the job's own). */
  pageTimeoutMs: number | ((task: PageTask) => number);
  maxPagesPerWorker: number;
  spawn: WorkerSpawnOptions;
  // retryTask, maxAttempts (RetryPolicy): a failed task is retried on a fresh worker. A cluster
  // worker makes one attempt (the submitter counts attempts, so that a retry may land on another machine).
  /**
   * A long-lived pool shared by many documents (a service): keeps `size` workers running while idle
   * (instead of starting them as the queue needs), takes tasks from its source as soon as they come,
   * and hands them out in turn by document (`task.source`), so a short document is not queued behind
   * a long one. @default false
   */
  shared?: boolean;
}

export type PoolHandlers = PageHandlers;

type QueueItem = Attempt;

/** Workers that die before they are ready this many times in a row stop the run. */
const MAX_BOOT_FAILURES = 3;

/**
 * A pool of forked workers fed from one queue, results in completion order (like imap_unordered).
 * A failed attempt is retried once on a fresh worker; crashed, timed-out and worn-out workers are
 * replaced; workers that cannot start stop the run with a PoolError.
 */
export class Pool implements PageExecutor {
  private readonly queue: QueueItem[] = [];
  private readonly workers = new Set<WorkerHandle>();
  /** The task each busy worker is rendering. */
  private readonly current = new Map<WorkerHandle, QueueItem>();
  /** Tasks given up on while a worker rendered them (cancel()): their outcome is ignored. */
  private readonly abandoned = new WeakSet<QueueItem>();
  private spawns = 0;
  /** Shared pools: when each document (task.source) was last served, for nextInTurn(). */
  private readonly turns = new Map<string, number>();
  private turn = 0;
  private readonly retiring = new Set<Promise<void>>();
  /** Workers retired by the pool (a start-up that then fails is not a boot failure). */
  private readonly letGo = new WeakSet<WorkerHandle>();
  private busy = 0;
  private bootFailures = 0;
  private stopped = false;
  private finish!: (error?: Error) => void;
  /** More tasks to come (a batch plans its documents while earlier ones render). */
  private source: TaskSource | undefined;
  /** run() has begun: until then, workers may be started (prestart) but nothing is dispatched. */
  private running = false;
  /** Why the pool stopped before run() began (workers that failed to start while prestarted). */
  private haltError: Error | undefined;
  private prepareHint: PrepareHint | undefined;
  /** Most workers at once: `options.size`, or fewer after prestart() learnt that fewer are needed. */
  private size: number;

  constructor(
    private readonly options: PoolOptions,
    private readonly handlers: PoolHandlers,
  ) {
    this.size = options.size;
  }

  /**
   * Renders every task; resolves when each has a result or a final failure, or after stop().
   * With an async iterable, further tasks are pulled whenever the queue runs low, so that pages of
   * the next document are queued before the workers go idle.
   */
  async run(tasks: PageTask[] | AsyncIterable<PageTask[]>): Promise<void> {
    if (this.stopped) {
      await this.close();
      // Workers prestarted for this run failed to start: that is this run's failure.
      if (this.haltError && !this.running) throw this.haltError;
      return;
    }
    this.running = true;
    if (Array.isArray(tasks)) this.queue.push(...tasks.map((task) => ({ task, attempt: 1 })));
    else this.source = new TaskSource(tasks);
    const done = new Promise<void>((resolve, reject) => {
      this.finish = (error) => (error ? reject(error) : resolve());
    });
    try {
      this.pump();
      await done;
    } finally {
      await this.close();
    }
  }

  /**
   * Before run(): starts workers so that their start-up overlaps the master's planning. Called again
   * once the page count is known, it lets go of workers beyond `count`, and the run uses no more;
   * with `hint`, every worker opens that document as soon as it is ready.
   */
  prestart(count: number, hint?: PrepareHint): void {
    if (this.stopped || this.running) return;
    this.size = Math.max(1, Math.min(count, this.options.size));
    const wanted = this.size;
    for (const worker of [...this.workers]) if (this.workers.size > wanted) this.retire(worker);
    while (!this.stopped && this.workers.size < wanted) this.spawn();
    if (!hint) return;
    this.prepareHint = hint;
    for (const worker of this.workers) if (worker.isReady) worker.prepare(hint);
  }

  /** Stops a pool whose run() never came (planning failed) and waits until its workers are gone. */
  async dispose(): Promise<void> {
    if (this.running) return;
    this.halt(undefined);
    await this.close();
  }

  /** Drops the queued tasks that match (a document given up on); busy workers finish their page. */
  drop(matches: (task: PageTask) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (matches(this.queue[i]!.task)) this.queue.splice(i, 1);
    this.pump();
  }

  /**
   * Gives up on the tasks that match (a client went away): drops them from the queue and kills the
   * workers rendering one; the pool replaces them. The tasks get no outcome. Resolves once those
   * workers are gone (nothing of theirs is written after that).
   */
  async cancel(matches: (task: PageTask) => boolean): Promise<void> {
    const killed: Promise<void>[] = [];
    for (const [worker, item] of this.current) {
      if (!matches(item.task)) continue;
      this.abandoned.add(item);
      this.workers.delete(worker);
      this.letGo.add(worker);
      const exit = worker.kill().finally(() => this.retiring.delete(exit));
      this.retiring.add(exit);
      killed.push(exit);
    }
    this.drop(matches);
    await Promise.all(killed);
  }

  /** Drops queued tasks and kills busy workers; run() then resolves. */
  stop(): void {
    this.halt(undefined);
  }

  /** Process ids of the live workers (for tests and diagnostics). */
  get pids(): number[] {
    return [...this.workers].map((worker) => worker.pid);
  }

  /** Live workers, ready workers, busy workers, tasks queued, and workers started since the pool began. */
  get stats(): ExecutorStats {
    const ready = [...this.workers].filter((worker) => worker.isReady && !worker.isExited).length;
    return { workers: this.workers.size, ready, busy: this.busy, queued: this.queue.length, started: this.spawns };
  }

  /** Stops like stop(); with an error, run() rejects with it. */
  private halt(error: Error | undefined): void {
    if (this.stopped) return;
    this.stopped = true;
    this.haltError = error;
    this.queue.length = 0;
    this.source?.close();
    this.source = undefined;
    for (const worker of this.workers) this.retiring.add(worker.kill());
    this.finish?.(error);
  }

  private async close(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.workers].map((worker) => worker.shutdown()));
    await Promise.all(this.retiring);
    this.workers.clear();
  }

  private pump(): void {
    if (this.stopped || !this.running) return;
    this.refill();
    if (this.queue.length === 0 && this.busy === 0 && !this.source?.open) {
      this.finish();
      return;
    }
    // Hand work to idle ready workers; a retry only goes to a worker that has had no task yet.
    for (const worker of this.workers) {
      if (!worker.isReady || worker.busy || worker.isExited) continue;
      const fits = (item: QueueItem): boolean => item.attempt === 1 || !worker.used;
      const index = this.options.shared ? this.nextInTurn(fits) : this.queue.findIndex(fits);
      if (index === -1) continue;
      const [item] = this.queue.splice(index, 1);
      this.dispatch(worker, item!);
    }
    const workers = [...this.workers];
    const needsFresh = this.queue.some((item) => item.attempt > 1) && !workers.some((worker) => !worker.used);
    if (needsFresh && workers.length >= this.size) {
      const idle = workers.find((worker) => worker.isReady && !worker.busy);
      if (idle) this.retire(idle);
    }
    const wanted = this.options.shared ? this.size : Math.min(this.size, this.queue.length + this.busy);
    while (!this.stopped && (this.workers.size < wanted || (needsFresh && this.workers.size < this.size))) {
      this.spawn();
      if (needsFresh && this.workers.size >= wanted) break;
    }
  }

  /** Round robin by document: the first fitting task of the document served longest ago (or never). */
  private nextInTurn(fits: (item: QueueItem) => boolean): number {
    let best = -1;
    let bestTurn = Infinity;
    for (const [index, item] of this.queue.entries()) {
      const turn = this.turns.get(item.task.source) ?? -1;
      if (turn < bestTurn && fits(item)) {
        best = index;
        bestTurn = turn;
      }
    }
    if (best !== -1) {
      this.turns.set(this.queue[best]!.task.source, ++this.turn);
      if (this.turns.size > 4 * this.queue.length + 64) {
        // Forget documents that have nothing queued any more.
        const queued = new Set(this.queue.map((item) => item.task.source));
        for (const source of this.turns.keys()) if (!queued.has(source)) this.turns.delete(source);
      }
    }
    return best;
  }

  /** Pulls the next tasks from the source when fewer than two per worker are queued. */
  private refill(): void {
    if (!this.source?.idle || (!this.options.shared && this.queue.length >= this.size * 2)) return;
    this.source.pull(
      (tasks) => {
        if (this.stopped) return;
        this.queue.push(...tasks.map((task) => ({ task, attempt: 1 })));
        this.pump();
      },
      (error) => this.halt(error),
    );
  }

  private spawn(): void {
    const started = performance.now();
    let worker: WorkerHandle;
    try {
      worker = new WorkerHandle(this.options.spawn);
    } catch (error) {
      // Its folder cannot be made (disk full, temp folder gone): no worker can start.
      this.halt(new PoolError(`Cannot start a worker: ${(error as Error).message}`, { cause: error }));
      return;
    }
    this.workers.add(worker);
    this.spawns++;
    worker.ready.then(
      () => {
        this.bootFailures = 0;
        this.handlers.onWorkerReady?.(performance.now() - started);
        if (this.prepareHint && !this.running) worker.prepare(this.prepareHint);
        this.pump();
      },
      (error: Error) => {
        if (this.letGo.has(worker)) return; // retired on purpose before it was ready
        // Tracked until it is gone: one that timed out while starting is still being killed.
        this.retire(worker);
        if (this.stopped) return;
        if (++this.bootFailures >= MAX_BOOT_FAILURES) {
          this.halt(new PoolError(`Workers failed to start ${MAX_BOOT_FAILURES} times in a row: ${error.message}`));
          return;
        }
        this.pump();
      },
    );
    void worker.exited.then(() => {
      this.workers.delete(worker);
      this.pump();
    });
  }

  private dispatch(worker: WorkerHandle, item: QueueItem): void {
    this.busy++;
    this.current.set(worker, item);
    const started = performance.now();
    const timeout = this.options.pageTimeoutMs;
    worker.run(item.task, typeof timeout === "number" ? timeout : timeout(item.task)).then(
      (result) => {
        this.busy--;
        this.current.delete(worker);
        if (this.stopped) return;
        if (this.abandoned.has(item)) return this.pump();
        worker.pagesDone++;
        if (worker.pagesDone >= this.options.maxPagesPerWorker) this.retire(worker);
        this.handlers.onResult(item.task, result, { workerPid: worker.pid, elapsedMs: performance.now() - started });
        this.pump();
      },
      (error: TaskError) => {
        this.busy--;
        this.current.delete(worker);
        if (this.stopped) return;
        if (this.abandoned.has(item)) return this.pump();
        // A worker that failed a page is replaced, so that the retry meets a fresh process; a timed-out
        // one is being killed and must not be handed another page meanwhile.
        if (error.kind !== "crash") this.retire(worker);
        const retry = nextAttempt(item, this.options);
        this.handlers.onFailure(item.task, error.message, retry === undefined, error.code);
        if (retry) this.queue.unshift(retry);
        this.pump();
      },
    );
  }

  /** Lets a worker go (it exits in the background) so that a new one takes its place. */
  private retire(worker: WorkerHandle): void {
    this.workers.delete(worker);
    this.letGo.add(worker);
    const exit = worker.shutdown().finally(() => this.retiring.delete(exit));
    this.retiring.add(exit);
  }
}

export { TaskError };
