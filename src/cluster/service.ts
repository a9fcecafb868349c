/**
 * The worker side of cluster mode (`pdfraster worker`, or startWorker() in a service of your own):
 * a BullMQ Worker whose processor checks each job as untrusted input, fetches the input by content
 * hash into its own temp dir (once per machine), renders the page on a local Pool of forked
 * processes (per-page timeout and kill, as in a local run; one attempt per job: the submitter counts
 * attempts), puts the image in the store and tells the submitter on its run's stream.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rm, unlink } from "node:fs/promises";
import { availableParallelism, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Job, Worker } from "bullmq";
import { withDeadline } from "../deadline.js";
import { UsageError, describeError } from "../errors.js";
import { DEFAULTS, checkNumber, checkSandbox, checkWorkerMemory } from "../options.js";
import type { PageResult, PageTask } from "../pool/messages.js";
import { Pool } from "../pool/pool.js";
import { workerSandbox, workerSpawnOptions } from "../pool/spawn.js";
import { describeSandbox, sandboxWarning, type SandboxMode } from "../sandbox/index.js";
import { createTempDir, sweepStaleTempDirs } from "../temp-dir.js";
import { checkQueueName, checkRedisUrl, checkStoreUrl, connect, loadBullmq, maskUrl, redact } from "./connection.js";
import { checkClusterJob, toLocalTask, type ClusterJob, type ResultMessage, type WorkerLimits } from "./messages.js";
import {
  HEARTBEAT_MS,
  Keys,
  LOCK_MS,
  MAX_STALLED_COUNT,
  NOTIFY_SCRIPT,
  PAGE_TTL_MS,
  PREFIX,
  RUN_TTL_MS,
  STALLED_INTERVAL_MS,
  WORKER_TTL_MS,
  jobIdOf,
  type WorkerInfo,
} from "./queue.js";
import { liveWorkers } from "./status.js";
import { openStore, type BlobStore } from "./store.js";

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

/** A running cluster worker. */
export interface ClusterWorker {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly concurrency: number;
  /** Resolves once the worker has stopped (after close(), or its signal). */
  readonly closed: Promise<void>;
  /** Stops taking pages, finishes (or after the grace period hands back) the ones held, unregisters, disconnects. */
  close(): Promise<void>;
}

/** A retry avoids the worker that failed it while another worker is registered, for up to this many rounds of... */
const MAX_BOUNCES = 20;
/** ...this long each: held back in BullMQ's delayed set, for another worker to take. */
const BOUNCE_MS = 250;
/**
 * Pages a worker takes beyond its render processes: they wait in its local pool, so that a render
 * process starts its next page the moment it finishes one, instead of idling while the page before
 * is uploaded and reported and the next job is fetched (10-20 ms a page, 4-5% of its time at 300 DPI).
 * A prefetched page is held like the others (its lock renewed, recovered by the stalled check if the
 * worker is lost); its page timeout starts when it starts rendering (the pool's own). Not started
 * yet, it goes back to the queue when the queue is empty (keepsPrefetched), when another worker
 * says it is idle (Keys.idle), or when this one stops.
 */
const PREFETCH = 1;
/** Inputs kept in a worker's cache (besides those in use). */
const CACHED_INPUTS = 4;
const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** Tasks for the local pool as the processor receives them (the pool pulls them as it has room). */
class Feed implements AsyncIterable<PageTask[]> {
  private items: PageTask[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(task: PageTask): void {
    this.items.push(task);
    this.wake?.();
  }

  remove(matches: (task: PageTask) => boolean): void {
    this.items = this.items.filter((task) => !matches(task));
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PageTask[]> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.splice(0);
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

type Outcome = { ok: true; result: PageResult } | { ok: false; reason: string };

interface LocalPage {
  run: string;
  jobId: string;
  task: PageTask;
  cancelled: boolean;
  /** Not started when the worker began to stop: goes back to the queue at once. */
  handBack: boolean;
  settle: (outcome: Outcome) => void;
}

const MAX_FREE_UPLOADS = 4;

/**
 * Page images on their way into the store, read into buffers kept for the next pages (at most
 * MAX_FREE_UPLOADS): a new Buffer of 1-2 MB a page (readFile) is external memory, and every ~20 MB
 * of it sets off a full garbage collection of the worker service. A buffer goes back to the free
 * list only once its put has resolved; after a failed put it is dropped (a command still queued
 * somewhere may hold it).
 */
class Uploads {
  private readonly free: Buffer[] = [];

  async put(store: BlobStore, key: string, path: string): Promise<void> {
    const file = await open(path, "r");
    let buffer: Buffer | undefined;
    let bytes = 0;
    try {
      const { size } = await file.stat();
      buffer = this.free.pop();
      if (!buffer || buffer.byteLength < size) buffer = Buffer.allocUnsafeSlow(Math.ceil((size + 1) * 1.25));
      // Read to the end: the render process wrote the file before it reported the page.
      for (;;) {
        if (bytes === buffer.byteLength) buffer = grow(buffer, bytes);
        const { bytesRead } = await file.read(buffer, bytes, buffer.byteLength - bytes, bytes);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await file.close();
    }
    await store.put(key, buffer.subarray(0, bytes), PAGE_TTL_MS);
    if (this.free.length < MAX_FREE_UPLOADS) this.free.push(buffer);
  }
}

/** unlink(), quiet when there is no such file (rm({ force }) stats it first: a syscall more a file). */
async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

function grow(buffer: Buffer, used: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(buffer.byteLength * 2);
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}

/** Inputs by content hash in the worker's temp dir: each machine fetches each document once. */
class InputCache {
  private readonly entries = new Map<string, { path: Promise<string>; users: number; used: number }>();

  constructor(
    private readonly dir: string,
    private readonly store: BlobStore,
    private readonly keys: Keys,
  ) {}

  async acquire(input: ClusterJob["input"]): Promise<string> {
    let entry = this.entries.get(input.hash);
    if (!entry) {
      entry = { path: this.fetch(input), users: 0, used: 0 };
      this.entries.set(input.hash, entry);
      entry.path.catch(() => this.entries.delete(input.hash));
    }
    entry.users++;
    entry.used = Date.now();
    try {
      return await entry.path;
    } catch (error) {
      entry.users--;
      throw error;
    }
  }

  release(hash: string): void {
    const entry = this.entries.get(hash);
    if (entry) entry.users--;
    const idle = [...this.entries].filter(([, e]) => e.users <= 0).sort((a, b) => a[1].used - b[1].used);
    for (const [key] of idle.slice(0, Math.max(0, idle.length - CACHED_INPUTS))) {
      this.entries.delete(key);
      void rm(join(this.dir, `${key}.pdf`), { force: true });
    }
  }

  /** Fetches the input chunk by chunk into the cache, checking its size and hash. */
  private async fetch(input: ClusterJob["input"]): Promise<string> {
    const path = join(this.dir, `${input.hash}.pdf`);
    const file = await open(path, "w");
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      for (const key of this.keys.inputChunks(input.hash, input.bytes)) {
        const chunk = await this.store.get(key);
        if (!chunk) throw new Error("the input is not in the store (its run ended?)");
        bytes += chunk.byteLength;
        if (bytes > input.bytes) break;
        hash.update(chunk);
        await file.write(chunk);
      }
    } catch (error) {
      await file.close();
      await rm(path, { force: true });
      throw error;
    }
    await file.close();
    if (bytes !== input.bytes || hash.digest("hex") !== input.hash) {
      await rm(path, { force: true });
      throw new Error("the input in the store does not match its hash");
    }
    return path;
  }
}

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
  const keys = new Keys(queueName);
  const id = randomBytes(8).toString("hex");
  const host = hostname();
  const self = { id, host, pid: process.pid };

  const { Worker, DelayedError, UnrecoverableError, WaitingError } = loadBullmq();
  // The folders of workers (or runs) killed on this machine before go first: a worker restarted by
  // its supervisor after an OOM kill would otherwise leave another input cache behind each time.
  await sweepStaleTempDirs(tmpdir());
  const tempDir = await createTempDir(tmpdir(), "pdfraster-worker-");
  const inputDir = join(tempDir, "inputs");
  const pageDir = join(tempDir, "pages");
  await mkdir(inputDir);
  await mkdir(pageDir);

  let everReady = false;
  let lost = false;
  const redis = await connect(redisUrl, {
    name: "pdfraster-worker",
    initial: "forever",
    maxRetriesPerRequest: null,
    onRetry: (reason) => emit({ type: "waiting-for-redis", reason }),
  });
  let quitting = false;
  redis.on("close", () => {
    if (everReady && !lost && !quitting) {
      lost = true;
      emit({ type: "redis-lost" });
    }
  });
  const store = await openStore(storeUrl, redis, "pdfraster-worker-images");
  const inputs = new InputCache(inputDir, store, keys);
  const uploads = new Uploads();
  const subscriber = redis.duplicate({ connectionName: "pdfraster-worker-cancel" });
  subscriber.on("error", () => {});

  const stats = { pagesDone: 0, pagesFailed: 0 };
  const pages = new Map<number, LocalPage>();
  const cancelledRuns = new Map<string, number>();
  const bounces = new Map<string, number>();
  let nextId = 0;
  let handingBack = false;
  /** close() was called: a job taken now goes back to the queue. */
  let stopping = false;
  /** Jobs taken and not yet rendered (rendering, or waiting in the local pool). */
  let held = 0;
  /** Whether the BullMQ worker takes PREFETCH jobs beyond its render processes (see keepsPrefetched). */
  let prefetching = true;

  const feed = new Feed();
  /** Each local task's timeout: the job's own, capped by this worker's. */
  const timeouts = new Map<number, number>();
  const pool = new Pool(
    {
      size: concurrency,
      pageTimeoutMs: (task) => timeouts.get(task.id) ?? limits.pageTimeoutMs,
      maxPagesPerWorker,
      // The render processes read the fetched inputs only; their own folders are beside them.
      spawn: workerSpawnOptions(DEFAULTS.engine, { readable: [inputDir], workParent: tempDir }, sandboxLimits),
      maxAttempts: 1,
    },
    {
      onResult: (task, result) => pages.get(task.id)?.settle({ ok: true, result }),
      onFailure: (task, reason) => pages.get(task.id)?.settle({ ok: false, reason }),
    },
  );
  pool.prestart(concurrency);
  const poolDone = pool.run(feed);
  poolDone.catch(() => {});

  /** Kills (or unqueues) the local pages that match. */
  const cancel = (matches: (page: LocalPage) => boolean): void => {
    const hit = new Set<PageTask>();
    for (const page of pages.values()) {
      if (!page.cancelled && matches(page)) {
        page.cancelled = true;
        hit.add(page.task);
      }
    }
    if (hit.size === 0) return;
    feed.remove((task) => hit.has(task));
    pool.cancel((task) => hit.has(task));
    for (const page of pages.values()) if (hit.has(page.task)) page.settle({ ok: false, reason: "cancelled" });
  };

  /** Pages taken but not started yet go back to the queue at once (on close(), or when another worker is idle). */
  const handBackUnstarted = (): number => {
    const unstarted = new Set<PageTask>();
    const collect = (task: PageTask): boolean => (unstarted.add(task), true);
    feed.remove(collect);
    pool.drop(collect); // only the tasks queued in the pool, not those being rendered
    for (const page of pages.values()) {
      if (!unstarted.has(page.task) || page.cancelled) continue;
      page.handBack = true;
      page.settle({ ok: false, reason: "handed back" });
    }
    return unstarted.size;
  };

  void subscriber.subscribe(keys.cancel, keys.idle).catch(() => {}); // sent once connected; ioredis resubscribes after a reconnect
  subscriber.on("message", (channel: string, raw: string) => {
    let message: { run?: unknown; jobs?: unknown; worker?: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    if (channel === keys.idle) {
      // Another worker has nothing to render: a page waiting here for a busy render process is better off there.
      if (typeof message.worker === "string" && message.worker !== id && handBackUnstarted() > 0) setPrefetching(false);
      return;
    }
    if (typeof message.run !== "string") return;
    const run = message.run;
    if (message.jobs === undefined) {
      cancelledRuns.set(run, Date.now());
      cancel((page) => page.run === run);
    } else if (Array.isArray(message.jobs)) {
      const jobs = new Set(message.jobs.filter((job): job is string => typeof job === "string"));
      cancel((page) => page.run === run && jobs.has(page.jobId));
    }
  });

  const info = (): WorkerInfo => ({ ...self, concurrency, pagesDone: stats.pagesDone, pagesFailed: stats.pagesFailed, busy: pages.size, started, sandbox: describeSandbox(sandbox) });
  const started = Date.now();
  const register = async (): Promise<void> => {
    await redis
      .multi()
      .set(keys.worker(id), JSON.stringify(info()), "PX", WORKER_TTL_MS)
      .zadd(keys.workers, Date.now() + WORKER_TTL_MS, id)
      .zremrangebyscore(keys.workers, "-inf", Date.now())
      .pexpire(keys.workers, WORKER_TTL_MS)
      .exec();
    // A submitter that died (SIGKILL) mid-page: its heartbeat expired; stop rendering for it.
    const runs = [...new Set([...pages.values()].map((page) => page.run))];
    for (const run of runs) {
      if ((await redis.exists(keys.alive(run))) === 0) cancel((page) => page.run === run);
    }
    const hour = Date.now() - 3_600_000;
    for (const [run, at] of cancelledRuns) if (at < hour) cancelledRuns.delete(run);
    await store.sweep();
  };
  let registering = false;
  const registerTimer = setInterval(() => {
    if (registering || !everReady || lost) return;
    registering = true;
    register()
      .catch(() => {})
      .finally(() => (registering = false));
  }, HEARTBEAT_MS);

  /** Tells the run: only while it is alive (its heartbeat exists); false when it is gone. */
  const notify = async (run: string, message: ResultMessage): Promise<boolean> =>
    (await redis.eval(NOTIFY_SCRIPT, 2, keys.alive(run), keys.results(run), JSON.stringify(message), RUN_TTL_MS)) === 1;

  const othersAlive = async (): Promise<boolean> => (await liveWorkers(redis, keys)).some((worker) => worker.id !== id);

  const setPrefetching = (on: boolean): void => {
    if (on === prefetching) return;
    prefetching = on;
    worker.concurrency = concurrency + (on ? PREFETCH : 0);
  };

  /**
   * A job taken while every render process is busy (prefetched) is kept only while more jobs wait in
   * the queue. With none left, the run is in its tail: another worker may go idle while this page
   * waits here, so it goes back to the queue (for whichever render process frees first) and this
   * worker stops prefetching; it starts again once it takes a job with others still waiting.
   * `waiting`: the queue's length, read with the run's heartbeat as the job was taken.
   */
  const keepsPrefetched = (prefetched: boolean, waiting: number): boolean => {
    if (!prefetched) {
      if (!prefetching && waiting > 0) setPrefetching(true);
      return true;
    }
    if (waiting > 0) return true;
    setPrefetching(false);
    return false;
  };

  /** Render processes with nothing left and nothing waiting in the queue: tells the workers that may hold a prefetched page. */
  const announceIdle = async (): Promise<void> => {
    if ((await redis.llen(keys.waiting)) === 0 && held === 0 && !stopping) await redis.publish(keys.idle, JSON.stringify({ worker: id }));
  };

  const processor = async (job: Job, token?: string): Promise<string> => {
    const checked = checkClusterJob(job.data, limits);
    const jobId = job.id ?? "";
    if (checked.ok && jobId !== jobIdOf(checked.job.run, checked.job.task.id, checked.job.attempt)) {
      Object.assign(checked, { ok: false, reason: "the job id does not match its data" });
    }
    if (!checked.ok) {
      emit({ type: "job-refused", job: jobId, reason: checked.reason });
      throw new UnrecoverableError(`refused by worker ${host}:${process.pid}: ${checked.reason}`);
    }
    const data = checked.job;
    // A retry goes to another worker if there is one (the failed attempt's machine may be the problem).
    if (data.avoid === id && (bounces.get(jobId) ?? 0) < MAX_BOUNCES && (await othersAlive())) {
      bounces.set(jobId, (bounces.get(jobId) ?? 0) + 1);
      await job.moveToDelayed(Date.now() + BOUNCE_MS, token);
      throw new DelayedError();
    }
    bounces.delete(jobId);
    if (bounces.size > 10_000) bounces.clear(); // jobs that another worker took: forget them
    if (cancelledRuns.has(data.run)) return "discarded: the run is gone";
    // The run's heartbeat and the queue's length (for keepsPrefetched) in one round trip.
    const [alive, waiting] = (await redis.pipeline().exists(keys.alive(data.run)).llen(keys.waiting).exec()) ?? [];
    if (alive?.[0] || waiting?.[0]) throw alive?.[0] ?? waiting![0]!;
    if (alive?.[1] !== 1) return "discarded: the run is gone";
    const taken = performance.now();
    const prefetched = held >= concurrency;
    held++;
    const localId = nextId++;
    const ext = data.task.file?.tiff ? "tif" : { jpeg: "jpg", png: "png", auto: "img" }[data.task.format];
    const outPath = join(pageDir, `${localId}.${ext}`);
    const extractPath = join(pageDir, `${localId}.json`);
    let outcome: Outcome;
    let cachedHash: string | undefined;
    let page: LocalPage | undefined;
    try {
      if (!keepsPrefetched(prefetched, Number(waiting?.[1] ?? 0)) || stopping) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      let source: string;
      try {
        source = await inputs.acquire(data.input);
        cachedHash = data.input.hash;
      } catch (error) {
        throw Object.assign(new Error(`cannot fetch the input: ${redact(describeError(error), redisUrl)}`), { page: true });
      }
      const task = toLocalTask(data, localId, source, outPath, extractPath);
      timeouts.set(localId, Math.min(data.timeoutMs, limits.pageTimeoutMs));
      outcome = await new Promise<Outcome>((settle) => {
        page = { run: data.run, jobId, task, cancelled: false, handBack: false, settle };
        pages.set(localId, page);
        feed.push(task);
      });
    } catch (error) {
      if (!(error as { page?: boolean }).page) throw error;
      outcome = { ok: false, reason: describeError(error) };
    } finally {
      held--;
      if (held === 0 && !stopping) void announceIdle().catch(() => {});
      pages.delete(localId);
      timeouts.delete(localId);
      if (cachedHash) inputs.release(cachedHash);
    }
    const renderedAt = performance.now();
    try {
      if (handingBack || (page as LocalPage | undefined)?.handBack) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const current = page as LocalPage | undefined;
      if (current?.cancelled || cancelledRuns.has(data.run)) return "cancelled";
      if (!outcome.ok) {
        stats.pagesFailed++;
        emit({ type: "page-failed", run: data.run, page: data.task.pageNumber, reason: outcome.reason });
        await notify(data.run, { kind: "failed", job: jobId, worker: self, reason: outcome.reason });
        return "failed";
      }
      const { result } = outcome;
      const imageKey = keys.page(data.run, jobId, "image");
      const extractKey = keys.page(data.run, jobId, "extract");
      await uploads.put(store, imageKey, result.path);
      if (result.extractPath) await store.put(extractKey, await readFile(result.extractPath), PAGE_TTL_MS);
      const { id: _id, path: _path, extractPath, ...rest } = result;
      if (!(await notify(data.run, { kind: "done", job: jobId, worker: self, result: { ...rest, extract: extractPath !== undefined } }))) {
        await store.delete([imageKey, extractKey]); // the run ended meanwhile
        return "discarded: the run is gone";
      }
      stats.pagesDone++;
      const ms = Math.round(result.timings.total);
      const [waitMs, uploadMs] = [renderedAt - ms - taken, performance.now() - renderedAt].map((value) => Math.max(0, Math.round(value)));
      emit({ type: "page-done", run: data.run, page: data.task.pageNumber, ms, bytes: result.bytes, waitMs: waitMs!, uploadMs: uploadMs! });
      return "done";
    } finally {
      await Promise.all([removeFile(outPath), removeFile(extractPath)]);
    }
  };

  const worker: Worker = new Worker(queueName, processor, {
    connection: redis,
    prefix: PREFIX,
    concurrency: concurrency + PREFETCH,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLED_COUNT,
    removeOnComplete: { count: 0 },
    removeOnFail: { age: 3600 },
    name: `${host}:${process.pid}`,
  });
  worker.on("error", (error: Error) => {
    if (!lost && everReady) emit({ type: "warning", message: redact(describeError(error), redisUrl) });
  });

  const onReady = (): void => {
    if (!everReady) {
      everReady = true;
      void register().catch(() => {});
      emit({ type: "ready", ...self, concurrency, redis: maskUrl(redisUrl), queue: queueName, sandbox: describeSandbox(sandbox) });
    } else if (lost) {
      lost = false;
      void register().catch(() => {});
      emit({ type: "redis-back" });
    }
  };
  redis.on("ready", onReady);
  if (redis.status === "ready") onReady();

  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = (): Promise<void> => {
    closing ??= (async () => {
      emit({ type: "stopping", graceSeconds: graceMs / 1000 });
      clearInterval(registerTimer);
      stopping = true;
      const workerClosed = worker.close();
      handBackUnstarted();
      const handBack = setTimeout(() => {
        handingBack = true;
        cancel(() => true);
      }, graceMs);
      // Redis gone while stopping: the pages held cannot be handed back; their locks expire and
      // the stalled check of another worker puts them back in the queue.
      const force = setTimeout(() => void worker.close(true).catch(() => {}), graceMs + 5000);
      await workerClosed.catch(() => {});
      clearTimeout(handBack);
      clearTimeout(force);
      feed.end();
      pool.stop();
      await poolDone.catch(() => {});
      await withDeadline(redis.multi().del(keys.worker(id)).zrem(keys.workers, id).exec().catch(() => {}), 1000);
      quitting = true;
      store.close();
      subscriber.disconnect();
      await withDeadline(redis.quit().catch(() => {}), 500);
      redis.disconnect();
      await rm(tempDir, { recursive: true, force: true }).catch(() => {});
      emit({ type: "stopped", ...stats });
      markClosed();
    })();
    return closing;
  };
  if (options.signal?.aborted) void close();
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  return { ...self, concurrency, closed, close };
}
