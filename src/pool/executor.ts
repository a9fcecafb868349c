import type { PageResult, PageTask, PrepareHint } from "./messages.js";

/** Who rendered a page, and how long it took from handing the task over to having its result. */
export interface ResultMeta {
  /** Process id of the worker: the forked render process locally, the `pdfraster worker` process in a cluster. */
  workerPid: number;
  /** Host name of the cluster worker that rendered the page (cluster mode only). */
  host?: string;
  elapsedMs: number;
}

export interface PageHandlers {
  /** A page rendered; its image (and any JSON sidecar) is at the local paths of `result`. */
  onResult(task: PageTask, result: PageResult, meta: ResultMeta): void;
  /** A page attempt failed; `final` is true when it will not be retried. `code`: the worker's error code (e.g. ENOSPC). */
  onFailure(task: PageTask, reason: string, final: boolean, code: string | undefined): void;
  /** A worker finished starting (for start-up timing). */
  onWorkerReady?(startMs: number): void;
}

export interface ExecutorStats {
  workers: number;
  ready: number;
  busy: number;
  queued: number;
  started: number;
}

/**
 * What the Scheduler drives: something that renders page tasks into local files and reports each
 * outcome, in any order. The local {@link Pool} of forked workers is one; the cluster submitter
 * (src/cluster/submit.ts), which sends the tasks to `pdfraster worker` processes through Redis, is the other.
 */
export interface PageExecutor {
  /** Live, ready and busy workers, queued pages, and workers started so far (a local pool). */
  readonly stats?: ExecutorStats;
  /** Pages rendered at once, when the executor knows it better than its caller (a cluster: its workers' total concurrency). */
  readonly concurrency?: number;
  /**
   * Renders every task; resolves when each has a result or a final failure, or after stop().
   * With an async iterable, further tasks are pulled as capacity frees up.
   */
  run(tasks: PageTask[] | AsyncIterable<PageTask[]>): Promise<void>;
  /** Before run(): get ready for about `count` pages (start workers, connect); `hint` names the coming document. */
  prestart(count: number, hint?: PrepareHint): void;
  /** Gives up on the tasks that match (a document given up on): queued ones are not run; one in progress may still be reported (the caller ignores it). */
  drop(matches: (task: PageTask) => boolean): void;
  /**
   * Gives up on the tasks that match (a client went away), also those being rendered, which are
   * killed wherever they run; they get no outcome. Resolves once nothing of them runs on this machine.
   */
  cancel(matches: (task: PageTask) => boolean): Promise<void>;
  /** Gives up on everything, cancelling pages being rendered; run() then resolves. */
  stop(): void;
  /** Releases an executor whose run() never came (planning failed). */
  dispose(): Promise<void>;
}
