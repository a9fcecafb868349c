/**
 * The submitter side of cluster mode: a PageExecutor that sends page tasks to `pdfraster worker`
 * processes through a BullMQ queue and brings their images back into the local temp dir, so that
 * the Scheduler, DocumentJob, sinks and assembler work exactly as in a local run.
 *
 * - Inputs go to the store once, by content hash; job data is the task without local paths.
 * - At most a window of pages (about 3x the cluster's concurrency) is queued, rendering or waiting
 *   to be fetched, so Redis memory stays bounded whatever the document size.
 * - Results come back on the run's own Redis stream (XADD by workers, XREAD here on a connection of
 *   its own), reconciled with job states (a job that failed in BullMQ, e.g. stalled twice, or vanished).
 * - Attempts are counted here: a failed page is queued again (on the fallback engine if any), and
 *   the new job asks to avoid the worker that failed it, so that it lands on another machine.
 * - A heartbeat key with a TTL tells workers the run is alive; stop() deletes it, broadcasts a
 *   cancel, removes the queued jobs and every key of the run.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { hostname } from "node:os";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { withDeadline } from "../deadline.js";
import { ClusterError, ExitCode, describeError } from "../errors.js";
import type { PageExecutor, PageHandlers } from "../pool/executor.js";
import type { PageResult, PageTask, PrepareHint } from "../pool/messages.js";
import { nextAttempt } from "../pool/attempts.js";
import { TaskSource } from "../pool/source.js";
import { connect, loadBullmq, maskUrl, redact, type ClusterSettings } from "./connection.js";
import { cancelMessage, isResultMessage, toClusterJob, type ClusterJob, type ResultMessage } from "./messages.js";
import { EVENTS_MAX_LEN, HEARTBEAT_MS, INPUT_CHUNK_BYTES, Keys, PREFIX, RELEASE_INPUT_SCRIPT, RUN_TTL_MS, jobIdOf, type RunInfo } from "./queue.js";
import { PageLostError } from "./page-errors.js";
import { openStore, type BlobStore } from "./store.js";
import { clusterCapacity } from "./status.js";

export interface SubmitSettings extends ClusterSettings {
  pageTimeoutMs: number;
  /** Fail the run (exit 2) when no worker has been registered for this long. @default wait */
  waitTimeoutMs?: number;
  /** Called once no worker has been registered for NO_WORKER_NOTICE_MS (again after workers come and go). */
  onNoWorkers?: (waitedMs: number) => void;
  /** The task of a retry (the fallback engine). */
  retryTask?: (task: PageTask) => PageTask;
}

/**
 * Pages in flight (queued, rendering, or waiting to be fetched) per unit of cluster concurrency,
 * plus one per worker for the page it prefetches (worker/prefetch.ts PREFETCH): a worker prefetches only
 * while other pages wait in the queue, so the window must keep some waiting beyond those held.
 */
const WINDOW_PER_SLOT = 3;
const WINDOW_PER_WORKER = 1;
/** Pages in flight when no worker is registered yet (they wait in the queue for one). */
const MIN_WINDOW = 4;
/** Redis lost for this long (no reconnect) fails the run. */
const LOST_MS = 5_000;
/** Cleanup on the way out takes at most this long, whatever state Redis is in. */
const CLEANUP_MS = 1_000;
/** How often job states are compared with the results received. */
const RECONCILE_MS = 3_000;
/** Result entries read between two trims of the run's stream. */
const TRIM_EVERY = 64;
/** With no worker registered, the submitter says so after this long (the pages wait in the queue meanwhile). */
const NO_WORKER_NOTICE_MS = 3_000;
/** How often the registered workers are counted while there are none. */
const NO_WORKER_POLL_MS = 1_000;

interface Pending {
  task: PageTask;
  attempt: number;
  avoid?: string;
}

interface Flight extends Pending {
  jobId: string;
  /** performance.now() when the job was added. */
  since: number;
  /** Whether the job is in the queue yet (queue.add resolved). */
  added: boolean;
  /** Reconcile passes that found no such job. */
  missing: number;
}

interface InputRef {
  hash: string;
  bytes: number;
}

interface Connection {
  redis: Redis;
  reader: Redis;
  queue: Queue;
  store: BlobStore;
}

export class ClusterSubmitter implements PageExecutor {
  /** This run's id: its jobs, keys and stream are named by it. */
  readonly runId = randomBytes(16).toString("hex");
  private readonly keys: Keys;
  private connecting: Promise<Connection> | undefined;
  private conn: Connection | undefined;
  private readonly pending: Pending[] = [];
  private readonly flights = new Map<string, Flight>();
  private readonly inputs = new Map<string, Promise<InputRef>>();
  private source: TaskSource | undefined;
  private running = false;
  private stopped = false;
  private finish: ((error?: Error) => void) | undefined;
  private window = MIN_WINDOW;
  /** The registered workers' total concurrency, last read (for the reports' `workers`). */
  concurrency: number | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private lostTimer: NodeJS.Timeout | undefined;
  private readonly info: RunInfo;
  /** performance.now() since when no worker has been registered, or undefined while some are. */
  private noWorkersSince: number | undefined;
  private noWorkersNoticed = false;

  constructor(
    private readonly settings: SubmitSettings,
    private readonly handlers: PageHandlers,
  ) {
    this.keys = new Keys(settings.queue);
    this.info = { run: this.runId, host: hostname(), pid: process.pid, documents: 0, pagesSubmitted: 0, pagesDone: 0, inFlight: 0, started: Date.now() };
  }

  /** Connects (once); the input of `hint` starts uploading at once. */
  prestart(_count: number, hint?: PrepareHint): void {
    void this.connection().catch(() => {}); // the error is met again by run()
    if (hint) void this.inputOf(hint.source).catch(() => {}); // the same promise is met again by submit(), which fails the run
  }

  async run(tasks: PageTask[] | AsyncIterable<PageTask[]>): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    const done = new Promise<void>((resolve, reject) => {
      this.finish = (error) => (error ? reject(error) : resolve());
    });
    try {
      const conn = await this.connection();
      if (this.stopped) return;
      if (Array.isArray(tasks)) this.pending.push(...tasks.map((task) => ({ task, attempt: 1 })));
      else this.source = new TaskSource(tasks);
      await this.heartbeat();
      this.timers.push(every(HEARTBEAT_MS, () => this.heartbeat()));
      this.timers.push(every(RECONCILE_MS, () => this.reconcile()));
      this.timers.push(every(NO_WORKER_POLL_MS, () => this.watchWorkers()));
      void this.readResults(conn.reader);
      this.pump();
      await done;
    } finally {
      this.stopped = true;
      for (const timer of this.timers) clearInterval(timer);
      clearTimeout(this.lostTimer);
      await this.cleanup();
    }
  }

  drop(matches: (task: PageTask) => boolean): void {
    for (let i = this.pending.length - 1; i >= 0; i--) if (matches(this.pending[i]!.task)) this.pending.splice(i, 1);
    const dropped = [...this.flights.values()].filter((flight) => matches(flight.task));
    for (const flight of dropped) this.flights.delete(flight.jobId);
    // Not cancelled (Redis lost): workers discard the jobs once the run's heartbeat is gone, and page images expire (PAGE_TTL_MS).
    if (dropped.length > 0 && this.conn) void this.cancelJobs(this.conn, dropped).catch(() => {});
    this.pump();
  }

  /** As drop(): pages being rendered are cancelled on whichever worker holds them (broadcast); none renders here. */
  async cancel(matches: (task: PageTask) => boolean): Promise<void> {
    this.drop(matches);
  }

  stop(): void {
    this.halt(undefined);
  }

  async dispose(): Promise<void> {
    if (this.running) return;
    this.stopped = true;
    await this.cleanup();
  }

  private halt(error: Error | undefined): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending.length = 0;
    this.source?.close();
    this.source = undefined;
    this.finish?.(error);
  }

  private connection(): Promise<Connection> {
    this.connecting ??= this.open();
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    const { Queue } = loadBullmq();
    const redis = await connect(this.settings.redis, { name: "pdfraster-submit", initial: "fail" });
    let reader: Redis | undefined;
    try {
      reader = redis.duplicate({ connectionName: "pdfraster-submit-results", maxRetriesPerRequest: null });
      for (const client of [redis, reader]) {
        client.on("error", () => {}); // reported through 'close' below
        client.on("close", () => this.onConnectionLost());
        client.on("ready", () => {
          clearTimeout(this.lostTimer);
          this.lostTimer = undefined;
        });
      }
      const queue = new Queue(this.settings.queue, { connection: redis, prefix: PREFIX, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
      queue.on("error", () => {});
      const store = await openStore(this.settings.store, redis, "pdfraster-submit-images");
      this.conn = { redis, reader, queue, store };
      this.resize(await clusterCapacity(redis, this.keys));
      return this.conn;
    } catch (error) {
      reader?.disconnect();
      redis.disconnect();
      throw error instanceof ClusterError ? error : new ClusterError(`Cannot use Redis at ${maskUrl(this.settings.redis)}: ${this.redact(error)}`, ExitCode.usage, { cause: error });
    }
  }

  private onConnectionLost(): void {
    if (this.stopped || !this.running || this.lostTimer) return;
    this.lostTimer = setTimeout(() => {
      this.halt(new ClusterError(`Lost the connection to Redis at ${maskUrl(this.settings.redis)} for ${LOST_MS / 1000} s: no output written`));
    }, LOST_MS);
  }

  private redact(error: unknown): string {
    return redact(describeError(error), this.settings.redis);
  }

  /** Fails the run with `error` (a Redis command failed for good). */
  private fail = (error: unknown): void => {
    if (this.stopped) return;
    this.halt(error instanceof ClusterError ? error : new ClusterError(`Redis at ${maskUrl(this.settings.redis)} failed: ${this.redact(error)}`, ExitCode.unexpected, { cause: error }));
  };

  /** Queues pages while the window allows; pulls more tasks when none are pending. */
  private pump(): void {
    if (this.stopped || !this.conn) return;
    while (this.flights.size < this.window && this.pending.length > 0) this.submit(this.conn, this.pending.shift()!);
    if (this.pending.length === 0 && this.source?.idle) {
      this.source.pull(
        (tasks) => {
          if (this.stopped) return;
          if (tasks.length > 0) this.info.documents++;
          this.pending.push(...tasks.map((task) => ({ task, attempt: 1 })));
          this.pump();
        },
        (error) => this.halt(error),
      );
      return;
    }
    if (this.pending.length === 0 && this.flights.size === 0 && !this.source?.open) this.finish?.();
  }

  private submit(conn: Connection, item: Pending): void {
    const jobId = jobIdOf(this.runId, item.task.id, item.attempt);
    const flight: Flight = { ...item, jobId, since: performance.now(), added: false, missing: 0 };
    this.flights.set(jobId, flight);
    this.info.pagesSubmitted++;
    void (async () => {
      const input = await this.inputOf(item.task.source);
      if (this.stopped || !this.flights.has(jobId)) return;
      const data: ClusterJob = toClusterJob(item.task, this.runId, item.attempt, this.settings.pageTimeoutMs, input, item.avoid);
      await conn.queue.add("page", data, { jobId, removeOnComplete: true, removeOnFail: { age: 3600 } });
      flight.added = true;
      flight.since = performance.now();
    })().catch((error: unknown) => (error instanceof ClusterError ? this.halt(error) : this.fail(error)));
  }

  /** Uploads an input once (by content hash, in chunks), and registers this run as one of its users. */
  private inputOf(source: string): Promise<InputRef> {
    let ref = this.inputs.get(source);
    if (!ref) {
      ref = (async () => {
        const conn = await this.connection();
        const { hash, bytes } = await hashFile(source);
        // Registered before the check, so that another run's release cannot delete it in between.
        await conn.redis.multi().sadd(this.keys.inputRuns(hash), this.runId).pexpire(this.keys.inputRuns(hash), RUN_TTL_MS).exec();
        const chunks = this.keys.inputChunks(hash, bytes);
        if (await conn.store.has(chunks.at(-1)!)) {
          for (const key of chunks) await conn.store.touch(key, RUN_TTL_MS);
        } else {
          const file = await open(source, "r");
          try {
            for (const [i, key] of chunks.entries()) {
              const buffer = Buffer.alloc(Math.min(INPUT_CHUNK_BYTES, bytes - i * INPUT_CHUNK_BYTES));
              await file.read(buffer, 0, buffer.byteLength, i * INPUT_CHUNK_BYTES);
              await conn.store.put(key, buffer, RUN_TTL_MS);
            }
          } finally {
            await file.close();
          }
        }
        return { hash, bytes };
      })();
      this.inputs.set(source, ref);
    }
    return ref;
  }

  /** Keeps the run's keys alive, and sizes the window to the workers registered now. */
  private async heartbeat(): Promise<void> {
    const conn = this.conn;
    if (!conn || this.stopped) return;
    this.info.inFlight = this.flights.size;
    const expires = Date.now() + RUN_TTL_MS;
    const tx = conn.redis
      .multi()
      .set(this.keys.alive(this.runId), JSON.stringify(this.info), "PX", RUN_TTL_MS)
      .zadd(this.keys.runs, expires, this.runId)
      .zremrangebyscore(this.keys.runs, "-inf", Date.now())
      .pexpire(this.keys.runs, RUN_TTL_MS)
      .pexpire(this.keys.results(this.runId), RUN_TTL_MS);
    // An input whose upload failed has no keys to keep alive (its failure fails the run through submit()).
    for (const ref of this.inputs.values()) {
      const input = await ref.catch(() => undefined);
      if (input) tx.pexpire(this.keys.inputRuns(input.hash), RUN_TTL_MS);
    }
    await tx.exec();
    for (const ref of this.inputs.values()) {
      const input = await ref.catch(() => undefined); // as above
      for (const key of input ? this.keys.inputChunks(input.hash, input.bytes) : []) await conn.store.touch(key, RUN_TTL_MS);
    }
    this.resize(await clusterCapacity(conn.redis, this.keys));
    this.pump();
  }

  /** While no worker is registered: counts them again, says so once, and fails the run after `waitTimeoutMs`. */
  private async watchWorkers(): Promise<void> {
    if (this.noWorkersSince === undefined || !this.conn || this.stopped) return;
    this.resize(await clusterCapacity(this.conn.redis, this.keys));
    if (this.noWorkersSince === undefined || this.stopped) return;
    const waited = performance.now() - this.noWorkersSince;
    const { waitTimeoutMs, queue, redis } = this.settings;
    // The notice first, also when the first look comes after the wait timeout (a long planning: the wait counts from the connection).
    if (waited >= NO_WORKER_NOTICE_MS && !this.noWorkersNoticed) {
      this.noWorkersNoticed = true;
      this.settings.onNoWorkers?.(Math.round(waited));
    }
    if (waitTimeoutMs !== undefined && waited >= waitTimeoutMs) {
      const where = `queue \`${queue}\` of ${maskUrl(redis)}`;
      this.halt(new ClusterError(`No pdfraster worker registered on ${where} within the wait timeout of ${waitTimeoutMs / 1000} s: no output written`, ExitCode.usage));
    }
  }

  /** Sizes the window of pages in flight to the cluster's concurrency. */
  private resize({ concurrency, workers }: { concurrency: number; workers: number }): void {
    if (workers > 0) [this.noWorkersSince, this.noWorkersNoticed] = [undefined, false];
    else this.noWorkersSince ??= performance.now();
    this.concurrency = Math.max(1, concurrency);
    this.window = Math.max(MIN_WINDOW, WINDOW_PER_SLOT * concurrency + WINDOW_PER_WORKER * workers);
  }

  /** Reads the run's result stream until the run ends. */
  private async readResults(reader: Redis): Promise<void> {
    const key = this.keys.results(this.runId);
    let last = "0-0";
    let untrimmed = 0;
    while (!this.stopped) {
      let batch: [string, [string, string[]][]][] | null;
      try {
        batch = await reader.xread("BLOCK", 1000, "STREAMS", key, last);
      } catch {
        if (this.stopped) return;
        await new Promise((resolve) => setTimeout(resolve, 200)); // a lost connection fails the run through onConnectionLost
        continue;
      }
      const entries = batch?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      last = entries.at(-1)![0];
      // Handled while the next read waits: a page image being fetched does not hold up the next result.
      for (const [, fields] of entries) void this.onMessage(fields[1]).catch(this.fail);
      // Trimmed every TRIM_EVERY entries, not after each read (a command a page): the stream holds at most that many (a few hundred bytes each).
      untrimmed += entries.length;
      if (untrimmed >= TRIM_EVERY) {
        untrimmed = 0;
        void this.conn?.redis.xtrim(key, "MINID", last).catch(() => {}); // trimmed by the next one; the stream expires with the run
      }
    }
  }

  private async onMessage(raw: string | undefined): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(raw ?? "");
    } catch {
      return;
    }
    if (!isResultMessage(message)) return;
    const flight = this.flights.get(message.job);
    const conn = this.conn!;
    const imageKey = this.keys.page(this.runId, message.job, "image");
    const extractKey = this.keys.page(this.runId, message.job, "extract");
    if (!flight || this.stopped) {
      // A page given up on, or a second result for one already in (a worker thought lost came back).
      await conn.store.delete([imageKey, extractKey]).catch(() => {}); // not deleted: they expire (PAGE_TTL_MS)
      return;
    }
    if (message.type === "failed") {
      this.flights.delete(message.job);
      this.attemptFailed(flight, message.reason, message.code, message.worker.id);
      return;
    }
    await this.fetchResult(conn, flight, message, imageKey, extractKey);
  }

  /** Brings a page image (and its sidecar) into the local temp dir, then reports it. */
  private async fetchResult(conn: Connection, flight: Flight, message: Extract<ResultMessage, { type: "done" }>, imageKey: string, extractKey: string): Promise<void> {
    const { task } = flight;
    // Taken (GETDEL): the image leaves Redis as it arrives here. Left behind otherwise: a sidecar not asked for, or anything after a failure.
    let leftBehind = message.result.extract && !task.extract;
    try {
      // Straight into the assembler's file: no Buffer of the image's size (see BlobLink.getToFile).
      const image = await conn.store.takeToFile(imageKey, task.outPath);
      const sidecar = message.result.extract && task.extract ? await conn.store.takeToFile(extractKey, task.extract.path) : undefined;
      if (!image || sidecar === false) throw new PageLostError("the page image is missing from the store (expired?)");
    } catch (error) {
      leftBehind = true;
      if (!this.flights.has(flight.jobId)) return;
      this.flights.delete(flight.jobId);
      const code = (error as NodeJS.ErrnoException).code;
      if (error instanceof PageLostError) this.attemptFailed(flight, describeError(error), undefined, message.worker.id);
      else if (code !== undefined) this.handlers.onFailure(task, describeError(error), true, code); // a local write failed (disk full)
      else this.fail(error);
      return;
    } finally {
      if (leftBehind) void conn.store.delete([imageKey, extractKey]).catch(() => {}); // not deleted: they expire (PAGE_TTL_MS)
    }
    if (!this.flights.delete(flight.jobId) || this.stopped) return;
    this.info.pagesDone++;
    const { extract: _extract, ...rest } = message.result;
    const result: PageResult = { ...rest, id: task.id, path: task.outPath, ...(task.extract && message.result.extract ? { extractPath: task.extract.path } : {}) };
    this.handlers.onResult(task, result, { workerPid: message.worker.pid, host: message.worker.host, elapsedMs: performance.now() - flight.since });
    this.pump();
  }

  private attemptFailed(flight: Flight, reason: string, code: string | undefined, worker: string | undefined): void {
    if (this.stopped) return;
    const retry = nextAttempt(flight, this.settings); // the same rule as a local Pool's
    this.handlers.onFailure(flight.task, reason, retry === undefined, code);
    if (retry) this.pending.unshift({ ...retry, ...(worker ? { avoid: worker } : {}) });
    this.pump();
  }

  /** Finds pages whose job failed in BullMQ (its worker was lost twice, or it refused the job) or vanished. */
  private async reconcile(): Promise<void> {
    const conn = this.conn;
    if (!conn || this.stopped) return;
    const now = performance.now();
    for (const flight of [...this.flights.values()]) {
      if (!flight.added || now - flight.since < RECONCILE_MS) continue;
      const state = await conn.queue.getJobState(flight.jobId);
      if (this.stopped || this.flights.get(flight.jobId) !== flight) continue;
      if (state === "failed") {
        const job = await conn.queue.getJob(flight.jobId);
        const reason = job?.failedReason ?? "the job failed";
        await conn.queue.remove(flight.jobId).catch(() => 0); // not removed: BullMQ drops failed jobs after an hour (removeOnFail)
        if (this.flights.get(flight.jobId) !== flight) continue;
        this.flights.delete(flight.jobId);
        this.attemptFailed(flight, /stalled/i.test(reason) ? "the worker rendering the page was lost" : `worker refused the page: ${reason}`, undefined, undefined);
      } else if (state === "unknown" || state === "completed") {
        // Completed jobs are removed at once: a result must be on its way; two passes without one: lost.
        if (++flight.missing < 2) continue;
        this.flights.delete(flight.jobId);
        this.attemptFailed(flight, "the page's job vanished from the queue without a result", undefined, undefined);
      }
    }
  }

  /** Removes jobs (those not being rendered) and tells the workers holding the others to stop. */
  private async cancelJobs(conn: Connection, flights: Flight[]): Promise<void> {
    const ids = flights.map((flight) => flight.jobId);
    if (ids.length === 0) return;
    await conn.redis.publish(this.keys.cancel, cancelMessage(this.runId, ids));
    // A job being rendered is locked and cannot be removed: its worker heard the cancel above, or discards it once the run is gone.
    await Promise.all(ids.map((id) => conn.queue.remove(id).catch(() => 0)));
    await conn.store.delete(ids.flatMap((id) => [this.keys.page(this.runId, id, "image"), this.keys.page(this.runId, id, "extract")]));
  }

  /** Leaves nothing of the run in Redis: heartbeat first (workers then start none of its pages), then the rest. */
  private async cleanup(): Promise<void> {
    const conn = this.conn ?? (await this.connecting?.catch(() => undefined)); // never connected: nothing to clean up (run() reported why)
    if (!conn) return;
    const work = (async () => {
      await conn.redis.del(this.keys.alive(this.runId));
      await conn.redis.publish(this.keys.cancel, cancelMessage(this.runId));
      await this.cancelJobs(conn, [...this.flights.values()]);
      this.flights.clear();
      await conn.redis.multi().del(this.keys.results(this.runId)).zrem(this.keys.runs, this.runId).exec();
      for (const ref of this.inputs.values()) {
        const input = await ref.catch(() => undefined);
        if (!input) continue; // its upload failed: whatever it registered expires (RUN_TTL_MS)
        const chunks = this.keys.inputChunks(input.hash, input.bytes);
        const inRedis = this.settings.store === undefined ? chunks : [];
        const deleted = await conn.redis.eval(RELEASE_INPUT_SCRIPT, 1 + inRedis.length, this.keys.inputRuns(input.hash), ...inRedis, this.runId);
        if (deleted === 1 && inRedis.length === 0) await conn.store.delete(chunks);
      }
      // Cut short (Redis lost): the run's keys expire (RUN_TTL_MS), and workers discard its jobs without its heartbeat.
    })().catch(() => {});
    await withDeadline(work, CLEANUP_MS);
    await conn.queue.close().catch(() => {}); // its connection is ours and is closed next
    conn.store.close();
    conn.reader.disconnect();
    await withDeadline(conn.redis.quit().catch(() => {}), 200); // not quit: disconnected next
    conn.redis.disconnect();
  }
}

/** The SHA-256 and size of a file, read as a stream. */
async function hashFile(path: string): Promise<InputRef> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { hash: hash.digest("hex"), bytes };
}

/** Runs `work` every `ms`, never two at once (a slow Redis must not pile them up); errors are left to the lost-connection check. */
function every(ms: number, work: () => Promise<void>): NodeJS.Timeout {
  let busy = false;
  return setInterval(() => {
    if (busy) return;
    busy = true;
    work()
      .catch(() => {}) // a lost Redis fails the run through onConnectionLost; the next round tries again
      .finally(() => (busy = false));
  }, ms);
}
