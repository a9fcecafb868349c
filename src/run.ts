import { fileURLToPath } from "node:url";
import { AbortError, OutputError, isDiskError } from "./errors.js";
import type { DocumentJob } from "./job.js";
import type { NormalizedOptions } from "./options.js";
import { maskUrl } from "./cluster/connection.js";
import { ClusterSubmitter } from "./cluster/submit.js";
import type { ExecutorStats, PageExecutor, PageHandlers } from "./pool/executor.js";
import type { PageTask, PrepareHint } from "./pool/messages.js";
import { Pool } from "./pool/pool.js";
import type { WorkerSpawnOptions } from "./pool/worker-handle.js";
import type { RasterizeReport } from "./report.js";
import type { EngineName } from "./engines/registry.js";
import { chooseSandbox, type SandboxInfo, type SandboxMode } from "./sandbox/index.js";
import { faultWritable } from "./worker/fault.js";

const WORKER_ENTRY = fileURLToPath(new URL("./worker/entry.js", import.meta.url));
/**
 * V8 heap cap of each worker; pixels live outside it (canvas, sharp), so this bounds pdf.js itself.
 * Every corpus file and a 600 DPI A0 page render within 128 MB; with the pdf.js adapter's cache
 * cleanup a worker's heap stays flat over long documents (docs/reliability.md, "Limits and defaults").
 */
const WORKER_HEAP_MB = 2048;
/**
 * Workers are as many as the cores, so V8's parallel GC threads only compete with the other
 * workers: collecting on the worker's own thread made pdf.js runs 8-10% faster for 1 s less CPU
 * (tracemonkey x5 at 300 DPI, 2 workers: 7.0-7.2 s -> 6.4-6.6 s; MuPDF, whose heap is small, unchanged).
 */
const WORKER_V8_FLAGS = [`--max-old-space-size=${WORKER_HEAP_MB}`, "--single-threaded-gc"];

/** What became of one job: its report, or the error that kept its output from being written. */
export interface JobOutcome {
  job: DocumentJob;
  report?: RasterizeReport;
  error?: unknown;
}

/**
 * Renders the pages of one or more documents through ONE pool of workers. Jobs come from an
 * async iterable, pulled when the queue runs low, so a batch plans its next document while the
 * pages of earlier ones render, and pages of several documents are in flight at once. Each job is
 * finished (output committed, report emitted) as soon as all its pages have an outcome.
 */
export class Runner {
  private pool: PageExecutor | undefined;
  private readonly jobs: DocumentJob[] = [];
  private readonly byTask = new Map<number, DocumentJob>();
  private readonly finishing = new Map<DocumentJob, Promise<JobOutcome>>();
  private size = 1;
  /** One document (rasterize()): giving up on it stops the pool at once, killing busy workers. */
  private single = true;
  /** run() is giving up (aborted, or the pool failed): a job that still arrives (planned meanwhile) is removed. */
  private closing = false;
  /** A worker could not write to the temp dir (disk full, read-only): the whole run stops with this. */
  private diskError: OutputError | undefined;
  /** Start-up time of workers that became ready before any job existed. */
  private unclaimedStartMs = 0;
  /** A long-lived run (a service): finished jobs are forgotten once their outcome is handed over. */
  private longLived = false;
  private readonly waiting = new Map<DocumentJob, (outcome: JobOutcome) => void>();
  private queue: JobQueue | undefined;

  /** `scope`: what the local pool's workers may read (the inputs) and where their own folders go. */
  constructor(
    private readonly opts: NormalizedOptions,
    private readonly scope: WorkerScope,
  ) {}

  /** Drops queued tasks that match (tasks of a job are unique to it: ids are unique across a run). */
  drop = (matches: (task: PageTask) => boolean): void => this.pool?.drop(matches);

  /** A job gives up on its remaining pages (`--on-error abort`): drop them, and finish the job. */
  cancel = (job: DocumentJob): void => {
    if (this.single) this.pool?.stop();
    else this.pool?.drop((task) => job.owns(task));
    this.settle(job);
  };

  /**
   * A long-lived run: `size` workers start now and stay warm; jobs pushed to `queue` run as they come,
   * their pages handed out in turn by document (await each one's outcome()); resolves when the queue
   * has ended and its jobs are done. Rejects like run().
   */
  async serve(queue: JobQueue, size: number): Promise<void> {
    this.longLived = true;
    this.queue = queue;
    this.poolOf(true).prestart(size);
    try {
      await this.run(queue, size, false);
    } catch (error) {
      for (const [job, resolve] of this.waiting) resolve({ job, error });
      this.waiting.clear();
      throw error;
    }
  }

  /** In a long-lived run: what became of `job`, once it is finished. Ask before pushing the job (its outcome is not kept after). */
  outcome(job: DocumentJob): Promise<JobOutcome> {
    const finishing = this.finishing.get(job);
    if (finishing) return finishing;
    return new Promise((resolve) => this.waiting.set(job, resolve));
  }

  /**
   * Gives up on one job of a long-lived run (its client went away): its queued pages are dropped, the
   * workers on its pages killed and replaced, its output removed. Resolves once those workers are gone.
   */
  async abandon(job: DocumentJob): Promise<void> {
    if (this.finishing.has(job)) return;
    job.cancelled = true;
    if (this.queue?.remove(job)) {
      // Not pulled yet: nothing of it runs.
      await job.abort();
      this.waiting.get(job)?.({ job, error: new AbortError() });
      this.waiting.delete(job);
      return;
    }
    const killed = this.pool?.cancel((task) => job.owns(task));
    if (this.jobs.includes(job)) this.settle(job); // otherwise tasks() finishes it when it arrives
    await killed;
  }

  /** The pool's live, ready and busy workers, queued pages, and workers started so far. */
  get stats(): ExecutorStats {
    return this.pool?.stats ?? { workers: 0, ready: 0, busy: 0, queued: 0, started: 0 };
  }

  /**
   * Runs every job; resolves with their outcomes in the order the jobs came. Rejects on abort or a pool
   * failure. `size`: the worker count the reports give (the pool itself is capped by prestart()).
   */
  async run(source: AsyncIterable<DocumentJob>, size: number, single: boolean): Promise<JobOutcome[]> {
    this.size = size;
    this.single = single;
    let aborted = this.opts.signal?.aborted === true;
    this.closing = aborted;
    const onAbort = (): void => {
      aborted = true;
      this.closing = true;
      this.pool?.stop();
    };
    this.opts.signal?.addEventListener("abort", onAbort, { once: true });
    const pool = this.poolOf();
    try {
      if (!aborted) await pool.run(this.tasks(source));
      if (aborted || this.opts.signal?.aborted) throw abortError(this.opts.signal);
      if (this.diskError) throw this.diskError;
      for (const job of this.jobs) this.settle(job, true);
      return await Promise.all(this.jobs.map((job) => this.finishing.get(job)!));
    } catch (error) {
      this.closing = true;
      // Documents already finished keep their output; the others leave nothing behind.
      await Promise.all(this.jobs.filter((job) => !this.finishing.has(job)).map((job) => job.abort()));
      await Promise.allSettled(this.finishing.values());
      throw error;
    } finally {
      this.closing = true;
      this.opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Starts workers now, before run(), so that their start-up overlaps the planning of the first
   * document. Called again when that document's page count is known: `count` trims the workers to
   * the pages, and `hint` has them open the document. Pair with close().
   */
  prestart(count: number, hint?: PrepareHint): void {
    this.poolOf().prestart(count, hint);
  }

  /** Stops workers prestarted for a run() that never came (planning failed). */
  async close(): Promise<void> {
    await this.pool?.dispose();
  }

  /**
   * What renders the pages, created on first use: with `redis`, the cluster (src/cluster/); else the
   * local pool of up to `workers` processes, which never starts more than its queue needs, and
   * whose cap prestart() lowers to the document's page count.
   */
  private poolOf(shared = false): PageExecutor {
    if (this.pool) return this.pool;
    const handlers: PageHandlers = {
      onWorkerReady: (ms) => {
        const job = this.jobs.find((j) => !this.finishing.has(j));
        if (job) job.timings.workerStart += ms;
        else this.unclaimedStartMs += ms; // a prestarted worker: charged to the first job
      },
      onResult: (task, result, meta) => {
        const job = this.byTask.get(task.id);
        if (!job) return; // a page of a document given up on
        job.onResult(task, result, meta);
        this.settle(job);
      },
      onFailure: (task, reason, final, code) => {
        if (isDiskError({ code })) {
          // Not the page's fault, and the temp dir is shared: no retry can help, stop the run.
          this.diskError ??= new OutputError(`Cannot write page images to the temp directory: ${reason}`);
          this.closing = true;
          this.pool?.stop();
          return;
        }
        const job = this.byTask.get(task.id);
        if (!job) return;
        job.onFailure(task, reason, final);
        this.settle(job);
      },
    };
    const retryTask = retryOnFallback(this.opts);
    const cluster = this.opts.cluster;
    const executor: PageExecutor = cluster
      ? new ClusterSubmitter(
          {
            ...cluster,
            pageTimeoutMs: this.opts.pageTimeoutMs,
            retryTask,
            ...(this.opts.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: this.opts.waitTimeoutMs }),
            onNoWorkers: (waitedMs) => this.opts.onProgress?.({ type: "no-workers", queue: cluster.queue, redis: maskUrl(cluster.redis), waitedMs }),
          },
          handlers,
        )
      : new Pool(
          {
            shared,
            size: this.opts.workers,
            pageTimeoutMs: this.opts.pageTimeoutMs,
            maxPagesPerWorker: this.opts.maxPagesPerWorker,
            spawn: workerSpawnOptions(this.opts.engine, this.scope, this.opts),
            retryTask,
          },
          handlers,
        );
    this.pool = executor;
    return executor;
  }

  /** Feeds the pool: each job's tasks as it comes, after reporting it open. */
  private async *tasks(source: AsyncIterable<DocumentJob>): AsyncIterable<DocumentJob["tasks"]> {
    for await (const job of source) {
      if (this.closing) {
        await job.abort();
        return;
      }
      this.jobs.push(job);
      job.timings.workerStart += this.unclaimedStartMs;
      this.unclaimedStartMs = 0;
      for (const task of job.tasks) this.byTask.set(task.id, job);
      job.start(this.workerCount);
      this.settle(job); // nothing to render (every page failed while planning, or cancelled)
      if (!job.finished && job.tasks.length > 0) yield job.tasks;
    }
  }

  /**
   * Pages rendered at once, for the planner's band counts: the local pool's size (`workers`), or in
   * cluster mode the registered workers' total concurrency once the cluster has been heard from
   * (before that 1: bands as the budget gives them, which the cluster's many slots share out anyway).
   */
  get concurrency(): number {
    return this.opts.cluster ? (this.pool?.concurrency ?? 1) : this.opts.workers;
  }

  /** The worker count the reports give: the cluster's concurrency in cluster mode, else the run's `size`. */
  private get workerCount(): number {
    return this.pool?.concurrency ?? this.size;
  }

  /** Starts finishing `job` once it is done (or, with `force`, whatever its state). */
  private settle(job: DocumentJob, force = false): void {
    if (this.finishing.has(job) || (!force && !job.finished)) return;
    for (const task of job.tasks) this.byTask.delete(task.id);
    const outcome = job.finish(this.workerCount).then(
      (report): JobOutcome => ({ job, report }),
      (error: unknown): JobOutcome => ({ job, error }),
    );
    this.finishing.set(job, outcome);
    if (!this.longLived) return;
    void outcome.then((result) => {
      this.finishing.delete(job);
      const index = this.jobs.indexOf(job);
      if (index !== -1) this.jobs.splice(index, 1);
      this.waiting.get(job)?.(result);
      this.waiting.delete(job);
    });
  }
}

/** The jobs of a long-lived run, pushed as they come; the run pulls them when its workers need work. */
export class JobQueue implements AsyncIterable<DocumentJob> {
  private readonly items: DocumentJob[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(job: DocumentJob): void {
    if (this.ended) throw new Error("the job queue has ended");
    this.items.push(job);
    this.wake?.();
  }

  /** Takes back a job the run has not pulled yet; false when it has. */
  remove(job: DocumentJob): boolean {
    const index = this.items.indexOf(job);
    if (index === -1) return false;
    this.items.splice(index, 1);
    return true;
  }

  /** No more jobs: the run ends once those queued are done. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DocumentJob> {
    for (;;) {
      const job = this.items.shift();
      if (job) {
        yield job;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * With a fallback engine, a page that failed on the engine is retried on the fallback. A task that
 * already names the fallback (its document could only be opened with it) keeps it.
 */
function retryOnFallback(opts: NormalizedOptions): ((task: PageTask) => PageTask) | undefined {
  const fallback = opts.fallbackEngine;
  if (!fallback) return undefined;
  return (task) => (task.engine === opts.engine ? { ...task, engine: fallback } : task);
}

/** What a pool's workers may read besides the install (the input documents, files or folders), and where their own folders are made. */
export interface WorkerScope {
  readable: readonly string[];
  workParent: string;
}

/**
 * The sandbox `mode` gets here (decided once per process). Throws a SandboxError for `strict`
 * without the OS layer: call it before anything is started.
 */
export function workerSandbox(mode: SandboxMode): SandboxInfo {
  return chooseSandbox(mode, WORKER_ENTRY).info;
}

/** How worker processes are started: by a local run's pool, and by a cluster worker's. */
export function workerSpawnOptions(
  engine: EngineName,
  scope: WorkerScope,
  limits: { sandbox: SandboxMode; maxWorkerMemoryBytes: number },
): WorkerSpawnOptions {
  return {
    entry: WORKER_ENTRY,
    execArgv: WORKER_V8_FLAGS,
    env: workerEnv(engine),
    inheritStderr: process.env.DEBUG !== undefined,
    launcher: chooseSandbox(limits.sandbox, WORKER_ENTRY).launcher,
    readable: scope.readable,
    writable: faultWritable(),
    workParent: scope.workParent,
    maxMemoryBytes: limits.maxWorkerMemoryBytes,
  };
}

/** Workers get only what they need: no secrets or loader hooks from the parent's environment. */
function workerEnv(engine: EngineName): NodeJS.ProcessEnv {
  // PDFRASTER_ENGINE: the engine a worker loads before it reports ready.
  // MALLOC_ARENA_MAX: libvips threads each get a glibc malloc arena and freed page buffers fragment them:
  // at A3 300 dpi a worker grew to ~790 MB over 14 pages; with 2 arenas it stays under ~530 MB at no measured CPU cost.
  const env: NodeJS.ProcessEnv = { PDFRASTER_WORKER: "1", PDFRASTER_ENGINE: engine, MALLOC_ARENA_MAX: "2" };
  for (const name of ["PDFRASTER_FAULT", "TZ", "LANG", "MALLOC_ARENA_MAX"]) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

export function abortError(signal: AbortSignal | undefined): AbortError {
  return signal?.reason instanceof AbortError ? signal.reason : new AbortError();
}
