import { AbortError, OutputError, PdfRasterError, isDiskError } from "../errors.js";
import type { DocumentJob } from "../job.js";
import type { NormalizedOptions } from "../options.js";
import { maskUrl } from "../cluster/connection.js";
import { AsyncQueue } from "../async-queue.js";
import { ClusterSubmitter } from "../cluster/submit.js";
import type { ExecutorStats, PageExecutor, PageHandlers } from "../pool/executor.js";
import type { PageTask } from "../pool/messages.js";
import { Pool } from "../pool/pool.js";
import { workerSpawnOptions, type WorkerScope } from "../pool/spawn.js";
import type { RasterizeReport } from "../report.js";
import { openDocument, type DocumentSpec } from "./document.js";

/** Workers started before the first document is opened, when they are fitted to it (see {@link Workers}). */
const EARLY_WORKERS = 2;

/**
 * How the scheduler's workers are provisioned:
 * - `fit`: one document (rasterize(), a cluster service's request): at most two start before it is
 *   opened (a one-page document on a 64-core machine must not fork 64 processes), then as many as its
 *   tasks, up to `workers`, which open the document as soon as they are ready;
 * - `all`: many documents one after another (a batch): `workers` start at once, and run as the queue needs;
 * - `warm`: a long-lived service: `workers` start at once and stay up while idle, and hand out pages in
 *   turn by document, so that a short document is not queued behind a long one.
 */
export type Workers = "fit" | "all" | "warm";

export interface SchedulerSettings {
  /** The run's options: the executor's (`workers`, `engine`, `cluster`, limits); each document brings its own too. */
  options: NormalizedOptions;
  /** What the local workers may read and where their folders go (unused in cluster mode). */
  scope: WorkerScope;
  workers: Workers;
  /** The executor failed (once): the scheduler takes no more documents. */
  onFailure?: (error: unknown) => void;
}

/** A document in flight: its job, and how to settle its submit(). */
interface Entry {
  job: DocumentJob;
  signal: AbortSignal | undefined;
  resolve(report: RasterizeReport): void;
  reject(error: unknown): void;
  /** Workers killed on its pages (abandoned): its outcome waits for them to be gone. */
  cancelling?: Promise<void>;
  /** Its output is being committed or removed (no more results are routed to it). */
  finishing?: Promise<void>;
}

/**
 * Runs documents through one executor (the local {@link Pool} of render processes, or the cluster's
 * {@link ClusterSubmitter}): submit() opens a document (its plan and its output), queues its tasks,
 * and resolves with its report once every page has an outcome and the output is committed. Pages of
 * several documents are in flight at once. Task ids are the scheduler's, unique across its documents.
 *
 * A document whose signal aborts is given up on: its queued pages are dropped, the workers on its
 * pages killed (and replaced when more work comes), its output removed, and submit() rejects with the
 * signal's reason (an {@link AbortError} unless it is a PdfRasterError). When the executor itself fails
 * (workers that cannot start, Redis lost, the temp disk full) every document in flight and every later
 * submit() rejects with that error: the scheduler is done (see `failure`).
 */
export class Scheduler {
  private readonly executor: PageExecutor;
  /** Each document's tasks, pulled by the executor when it runs low. */
  private readonly feed = new AsyncQueue<PageTask[]>();
  private readonly byTask = new Map<number, Entry>();
  /** Documents in flight, each with a promise that settles with its submit(). */
  private readonly entries = new Map<Entry, Promise<unknown>>();
  private nextTaskId = 0;
  private documents = 0;
  /** Documents being opened now (a batch opens its next one only when none is). */
  private opening = 0;
  private openingDone: Promise<void> = Promise.resolve();
  private running: Promise<void> | undefined;
  private closed = false;
  /** Workers the reports give in `fit` mode: the one document's tasks, up to `workers`. */
  private fitted: number;
  /** Start-up time of workers that became ready before any document ran: charged to the first. */
  private unclaimedStartMs = 0;
  /** A worker could not write to the temp dir (disk full, read-only): the executor stops with this. */
  private diskError: OutputError | undefined;
  /** Why the scheduler can take no more documents (its executor failed). */
  failure: unknown;

  constructor(private readonly settings: SchedulerSettings) {
    const { options, workers } = settings;
    this.fitted = options.workers;
    this.executor = this.makeExecutor(workers === "warm");
    if (workers === "fit") this.executor.prestart(Math.min(options.workers, EARLY_WORKERS));
    else this.executor.prestart(options.workers);
    if (workers === "warm") this.start();
  }

  /** The executor's live, ready and busy workers, queued pages, and workers started so far. */
  get stats(): ExecutorStats {
    return this.executor.stats ?? { workers: 0, ready: 0, busy: 0, queued: 0, started: 0 };
  }

  /**
   * Rasterizes one document: resolves with its report (also when pages failed), or rejects when its
   * output cannot be written at all (a PdfRasterError), it was given up on, or the executor failed.
   */
  async submit(spec: DocumentSpec, { signal }: { signal?: AbortSignal } = {}): Promise<RasterizeReport> {
    this.throwIfUnusable(signal);
    this.opening++;
    let opened!: () => void;
    const previous = this.openingDone;
    this.openingDone = new Promise((resolve) => (opened = resolve));
    let job: DocumentJob;
    try {
      job = await openDocument(spec, {
        reserveTaskIds: (count) => {
          const first = this.nextTaskId;
          this.nextTaskId += count;
          return first;
        },
        concurrency: this.concurrency,
        onOpen: (selected, hint) => {
          // More workers for more pages; none let go yet: a page may still turn out to be bands (trimmed below).
          if (this.settings.workers === "fit") this.executor.prestart(Math.min(this.settings.options.workers, Math.max(selected, EARLY_WORKERS)), hint);
        },
        control: { cancel: (j) => this.cancel(j), drop: (matches) => this.executor.drop(matches) },
        signal,
        uploadName: `input-${this.documents++}.pdf`,
      });
    } finally {
      this.opening--;
      void previous.then(opened);
    }
    try {
      this.throwIfUnusable(signal);
    } catch (error) {
      await job.abort();
      throw error;
    }
    let entry!: Entry;
    const outcome = new Promise<RasterizeReport>((resolve, reject) => (entry = { job, signal, resolve, reject }));
    this.entries.set(entry, outcome.finally(() => this.entries.delete(entry)).catch(() => {})); // met by the caller
    this.run(entry);
    return await outcome;
  }

  /**
   * Resolves when the executor has taken every queued task and waits for more, and no document is
   * being opened: the moment for a batch to open its next document (while the pages of earlier ones render).
   */
  async hungry(): Promise<void> {
    await this.openingDone;
    if (this.running && this.failure === undefined) await this.feed.hungry();
  }

  /**
   * Waits for the documents in flight, then stops the executor and its workers (and, in cluster mode,
   * removes the run from Redis). Documents submitted after this are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.entries.values());
    this.feed.end();
    if (this.running) await this.running.catch(() => {}); // its failure went to the documents in flight (fail())
    else await this.executor.dispose();
  }

  /** Pages rendered at once, for the planner's band counts: the cluster's total concurrency once heard from, else `workers`. */
  private get concurrency(): number {
    return this.settings.options.cluster ? (this.executor.concurrency ?? 1) : this.settings.options.workers;
  }

  /** The worker count the reports give. */
  private get workerCount(): number {
    return this.executor.concurrency ?? (this.settings.workers === "fit" ? this.fitted : this.settings.options.workers);
  }

  private throwIfUnusable(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw abortReason(signal);
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new AbortError("The scheduler is closed");
  }

  /** Starts rendering `entry`'s document. */
  private run(entry: Entry): void {
    const { job, signal } = entry;
    for (const task of job.tasks) this.byTask.set(task.id, entry);
    job.timings.workerStart += this.unclaimedStartMs;
    this.unclaimedStartMs = 0;
    if (this.settings.workers === "fit" && !this.running) {
      // Tasks, not pages: a big page renders as bands, each its own task, on as many workers.
      this.fitted = Math.max(1, Math.min(this.settings.options.workers, job.tasks.length));
      this.executor.prestart(this.fitted);
    }
    job.start(this.workerCount);
    if (!job.finished && job.tasks.length > 0) {
      this.feed.push(job.tasks);
      this.start();
    }
    signal?.addEventListener("abort", () => this.abandon(entry), { once: true });
    this.settle(entry); // nothing to render (every page failed while planning, or cancelled)
  }

  /** Runs the executor over the feed (once). */
  private start(): void {
    if (this.running) return;
    this.running = this.executor.run(this.feed).then(
      () => {
        if (this.diskError) this.fail(this.diskError);
        else if (!this.closed) this.fail(new AbortError("The workers stopped"));
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** The executor failed: every document in flight fails with `error`, and so does every later one. */
  private fail(error: unknown): void {
    if (this.failure === undefined) {
      this.failure = error;
      this.settings.onFailure?.(error);
    }
    this.feed.end(); // nothing more is pulled: a batch waiting for hungry() goes on (and meets the failure)
    for (const entry of this.entries.keys()) {
      if (entry.finishing) continue;
      entry.finishing = entry.job.abort().then(() => entry.reject(this.failure));
      this.forget(entry);
    }
  }

  /** A job gives up on its remaining pages (`--on-error abort`, its output failed): the workers on them are killed. */
  private cancel(job: DocumentJob): void {
    void this.executor.cancel((task) => job.owns(task));
    const entry = [...this.entries.keys()].find((e) => e.job === job);
    if (entry) this.settle(entry);
  }

  /** The document's signal aborted: drop its pages, kill the workers on them, and finish it (its output is removed). */
  private abandon(entry: Entry): void {
    if (entry.finishing) return;
    entry.job.cancelled = true;
    if (!this.feed.remove(entry.job.tasks)) entry.cancelling = this.executor.cancel((task) => entry.job.owns(task));
    this.settle(entry);
  }

  private readonly handlers: PageHandlers = {
    onWorkerReady: (ms) => {
      const entry = [...this.entries.keys()].find((e) => !e.finishing);
      if (entry) entry.job.timings.workerStart += ms;
      else this.unclaimedStartMs += ms;
    },
    onResult: (task, result, meta) => {
      const entry = this.byTask.get(task.id);
      if (!entry) return; // a page of a document given up on
      entry.job.onResult(task, result, meta);
      this.settle(entry);
    },
    onFailure: (task, reason, final, code) => {
      if (isDiskError({ code })) {
        // Not the page's fault, and the temp dir is shared: no retry can help, stop everything.
        this.diskError ??= new OutputError(`Cannot write page images to the temp directory: ${reason}`);
        this.executor.stop();
        return;
      }
      const entry = this.byTask.get(task.id);
      if (!entry) return;
      entry.job.onFailure(task, reason, final);
      this.settle(entry);
    },
  };

  /** Finishes `entry` once its job is done: commits or removes its output, then settles its submit(). */
  private settle(entry: Entry): void {
    const { job, signal } = entry;
    if (entry.finishing || !job.finished) return;
    this.forget(entry);
    entry.finishing = (async () => {
      await entry.cancelling; // the killed workers are gone: nothing more is written to the temp folder
      try {
        const report = await job.finish(this.workerCount);
        if (signal?.aborted) entry.reject(abortReason(signal));
        else entry.resolve(report);
      } catch (error) {
        entry.reject(signal?.aborted ? abortReason(signal) : error);
      }
    })();
  }

  /** Stops routing the executor's results to `entry` (it leaves the scheduler once its submit() settles). */
  private forget(entry: Entry): void {
    for (const task of entry.job.tasks) this.byTask.delete(task.id);
  }

  /**
   * The executor: with `cluster`, the submitter (src/cluster/); else the local pool of up to `workers`
   * processes (`shared`: a warm pool, see {@link Workers}).
   */
  private makeExecutor(shared: boolean): PageExecutor {
    const opts = this.settings.options;
    const retryTask = retryOnFallback(opts);
    const cluster = opts.cluster;
    if (cluster) {
      return new ClusterSubmitter(
        {
          ...cluster,
          pageTimeoutMs: opts.pageTimeoutMs,
          retryTask,
          ...(opts.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: opts.waitTimeoutMs }),
          onNoWorkers: (waitedMs) => opts.onProgress?.({ type: "no-workers", queue: cluster.queue, redis: maskUrl(cluster.redis), waitedMs }),
        },
        this.handlers,
      );
    }
    return new Pool(
      {
        shared,
        size: opts.workers,
        pageTimeoutMs: opts.pageTimeoutMs,
        maxPagesPerWorker: opts.maxPagesPerWorker,
        spawn: workerSpawnOptions(opts.engine, this.settings.scope, opts),
        retryTask,
      },
      this.handlers,
    );
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

/** What a given-up document rejects with: the signal's reason when it is one of ours (a service's time limit), else an AbortError. */
export function abortReason(signal: AbortSignal): PdfRasterError {
  return signal.reason instanceof PdfRasterError ? signal.reason : new AbortError();
}
