/**
 * The worker side of cluster mode (`pdfraster worker`, or startWorker() in a service of your own):
 * its options and events, checked here; the worker itself is a ClusterWorker (worker/cluster-worker.ts).
 */
import { availableParallelism } from "node:os";
import { UsageError } from "../errors.js";
import { DEFAULTS, checkNumber, checkSandbox, checkWorkerMemory } from "../options.js";
import { workerSandbox } from "../pool/spawn.js";
import { sandboxWarning, type SandboxMode } from "../sandbox/index.js";
import { checkQueueName, checkRedisUrl, checkStoreUrl } from "./connection.js";
import type { WorkerLimits } from "./messages.js";
import { ClusterWorker } from "./worker/cluster-worker.js";

export type { ClusterWorker };

/** Options of {@link startWorker}. */
export interface WorkerServiceOptions {
  /** The Redis URL (`redis://`, `rediss://`). */
  redis: string;
  /** The queue to serve. @default "default" */
  queue?: string;
  /** Where inputs and page images travel: `redis`, or `file:///shared/dir` (the same as the submitters'). @default "redis" */
  store?: string;
  /** Pages rendered at once: forked render processes. @default the number of CPU cores */
  concurrency?: number;
  /** This worker's own raster limit: a job over it is refused. @default 1073741824 (2^30) */
  maxPixels?: number;
  /** This worker's own page timeout in seconds: a job's own timeout is capped by it. @default 120 */
  pageTimeout?: number;
  /** Largest input PDF this worker fetches, in bytes. @default 536870912 (512 MB) */
  maxInputSize?: number;
  /** Render processes are replaced after this many pages. @default 1000 */
  maxPagesPerWorker?: number;
  /** Megabytes of resident memory a render process may use before it is killed and its page fails; 0: no cap. @default 2048 */
  maxWorkerMemory?: number;
  /** How the render processes are confined: `auto`, `strict` (refuse to start without the OS sandbox) or `off`. @default "auto" */
  sandbox?: SandboxMode;
  /** On close() (SIGTERM): seconds to finish the pages held before they are handed back to the queue. @default 20 */
  grace?: number;
  /** Aborting it closes the worker, as close() does. */
  signal?: AbortSignal;
  /** Notable events, one per line in `pdfraster worker`'s log (`page-done` only with --verbose). */
  onEvent?: (event: WorkerEvent) => void;
}

/** What a cluster worker reports; no event ever contains the Redis password. */
export type WorkerEvent =
  | { type: "ready"; id: string; host: string; pid: number; concurrency: number; redis: string; queue: string; sandbox: string }
  | { type: "waiting-for-redis"; reason: string }
  | { type: "redis-lost" }
  | { type: "redis-back" }
  /**
   * `ms`: rendering in the render process; `waitMs`: from taking the job to the render starting
   * (fetching the input, waiting for a render process: a prefetched page waits for the one before);
   * `uploadMs`: from the render's end to the submitter being told (image into the store, notify).
   */
  | { type: "page-done"; run: string; page: number; ms: number; bytes: number; waitMs: number; uploadMs: number }
  | { type: "page-failed"; run: string; page: number; reason: string }
  | { type: "job-refused"; job: string; reason: string }
  | { type: "warning"; message: string }
  | { type: "stopping"; graceSeconds: number }
  | { type: "stopped"; pagesDone: number; pagesFailed: number };

/** Largest input PDF a worker fetches by default, in bytes. */
const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** Starts a cluster worker; resolves once it is serving the queue (Redis may still be on its way: it connects when it can). */
export async function startWorker(options: WorkerServiceOptions): Promise<ClusterWorker> {
  if (typeof options !== "object" || options === null) throw new UsageError("Expected worker options to be an object");
  const redisUrl = checkRedisUrl(options.redis);
  const queueName = checkQueueName(options.queue);
  const storeUrl = checkStoreUrl(options.store);
  const concurrency = checkNumber("concurrency", options.concurrency, Math.max(1, availableParallelism()), 1, 256, true);
  const limits: WorkerLimits = {
    maxPixels: checkNumber("maxPixels", options.maxPixels, DEFAULTS.maxPixels, 1, Number.MAX_SAFE_INTEGER, true),
    pageTimeoutMs: checkNumber("pageTimeout", options.pageTimeout, DEFAULTS.pageTimeout, 0.1, 86_400) * 1000,
    maxInputBytes: checkNumber("maxInputSize", options.maxInputSize, MAX_INPUT_BYTES, 1, Number.MAX_SAFE_INTEGER, true),
  };
  const maxPagesPerWorker = checkNumber("maxPagesPerWorker", options.maxPagesPerWorker, DEFAULTS.maxPagesPerWorker, 1, 1e9, true);
  const sandboxLimits = { sandbox: checkSandbox(options.sandbox), maxWorkerMemoryBytes: checkWorkerMemory(options.maxWorkerMemory) };
  const sandbox = workerSandbox(sandboxLimits.sandbox); // `strict` without the OS sandbox: refused here, before anything starts
  const graceMs = checkNumber("grace", options.grace, 20, 0, 86_400) * 1000;
  const emit = (event: WorkerEvent): void => options.onEvent?.(event);
  const weaker = sandboxWarning(sandbox);
  if (weaker) emit({ type: "warning", message: weaker }); // once at start: never silently weaker
  const worker = await ClusterWorker.start({ redisUrl, queueName, storeUrl, concurrency, limits, maxPagesPerWorker, sandboxLimits, sandbox, graceMs, emit });
  if (options.signal?.aborted) void worker.close();
  options.signal?.addEventListener("abort", () => void worker.close(), { once: true });
  return worker;
}
