/**
 * One cluster worker: a BullMQ Worker whose processor checks each job as untrusted input, fetches
 * the input by content hash into its own temp dir (once per machine), renders the page on its
 * LocalPages, puts the image in the store and tells the submitter on its run's stream. Its parts:
 * Registration (presence and heartbeat), CancelChannel (cancels and idle workers), PrefetchPolicy
 * (pages taken beyond the render processes), InputCache and Uploads (the store).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { withDeadline } from "../../deadline.js";
import { describeError } from "../../errors.js";
import { DEFAULTS } from "../../options.js";
import type { PageResult } from "../../pool/messages.js";
import { workerSpawnOptions } from "../../pool/spawn.js";
import { describeSandbox, type SandboxInfo, type SandboxMode } from "../../sandbox/index.js";
import { createTempDir, sweepStaleTempDirs } from "../../temp-dir.js";
import { connect, loadBullmq, maskUrl, redact } from "../connection.js";
import { checkClusterJob, idleMessage, toLocalTask, type ClusterJob, type ResultMessage, type WorkerLimits, type WorkerRef } from "../messages.js";
import { PageCancelledError, PageFailedError, PageHandedBackError } from "../page-errors.js";
import { Keys, LOCK_MS, MAX_STALLED_COUNT, NOTIFY_SCRIPT, PAGE_TTL_MS, PREFIX, RUN_TTL_MS, STALLED_INTERVAL_MS, jobIdOf, type WorkerInfo } from "../queue.js";
import type { WorkerEvent } from "../service.js";
import { liveWorkers } from "../status.js";
import { openStore, type BlobStore } from "../store.js";
import { CancelChannel } from "./cancel-channel.js";
import { InputCache } from "./input-cache.js";
import { LocalPages } from "./local-pages.js";
import { PrefetchPolicy } from "./prefetch.js";
import { Registration } from "./registration.js";
import { Uploads, removeFile } from "./uploads.js";

/** A worker's settings, checked (service.ts startWorker). */
export interface WorkerSettings {
  redisUrl: string;
  queueName: string;
  /** undefined: the store is Redis. */
  storeUrl: string | undefined;
  concurrency: number;
  limits: WorkerLimits;
  maxPagesPerWorker: number;
  sandboxLimits: { sandbox: SandboxMode; maxWorkerMemoryBytes: number };
  sandbox: SandboxInfo;
  graceMs: number;
  emit: (event: WorkerEvent) => void;
}

/** A retry avoids the worker that failed it while another worker is registered, for up to this many rounds of... */
const MAX_BOUNCES = 20;
/** ...this long each: held back in BullMQ's delayed set, for another worker to take. */
const BOUNCE_MS = 250;
/** Retries bounced that another worker took are forgotten past this many. */
const MAX_BOUNCES_KEPT = 10_000;
/** After the grace period, BullMQ's close is forced this much later (Redis gone: pages cannot be handed back). */
const FORCE_CLOSE_MS = 5_000;
/** Quitting Redis on the way out takes at most this long. */
const QUIT_MS = 500;

/** A page that ended without an image, as LocalPages and the input fetch reject. */
type PageEnd = PageFailedError | PageCancelledError | PageHandedBackError;

const isPageEnd = (error: unknown): error is PageEnd =>
  error instanceof PageFailedError || error instanceof PageCancelledError || error instanceof PageHandedBackError;

export class ClusterWorker {
  readonly id = randomBytes(8).toString("hex");
  readonly host = hostname();
  readonly pid = process.pid;
  readonly concurrency: number;
  /** Resolves once the worker has stopped (after close(), or its signal). */
  readonly closed: Promise<void>;

  private readonly keys: Keys;
  private readonly bullmq = loadBullmq();
  private readonly worker: Worker;
  private readonly local: LocalPages;
  private readonly channel: CancelChannel;
  private readonly registration: Registration;
  private readonly prefetch: PrefetchPolicy;
  private readonly inputs: InputCache;
  private readonly uploads = new Uploads();
  private readonly pageDir: string;
  private readonly stats = { pagesDone: 0, pagesFailed: 0 };
  private readonly started = Date.now();
  /** Times each retry was left to another worker (see bounce()). */
  private readonly bounces = new Map<string, number>();
  private nextId = 0;
  /** Jobs taken and not yet rendered (fetching their input, waiting for a render process, rendering). */
  private held = 0;
  /** close() was called: a job taken now goes back to the queue. */
  private stopping = false;
  /** The grace period is over: every page held goes back to the queue. */
  private handingBack = false;
  private closing: Promise<void> | undefined;
  private markClosed!: () => void;

  /** Starts a worker; resolves once it serves the queue (Redis may still be on its way: it connects when it can). */
  static async start(settings: WorkerSettings): Promise<ClusterWorker> {
    // The folders of workers (or runs) killed on this machine before go first: a worker restarted by
    // its supervisor after an OOM kill would otherwise leave another input cache behind each time.
    await sweepStaleTempDirs(tmpdir());
    const tempDir = await createTempDir(tmpdir(), "pdfraster-worker-");
    await mkdir(join(tempDir, "inputs"));
    await mkdir(join(tempDir, "pages"));
    const redis = await connect(settings.redisUrl, {
      name: "pdfraster-worker",
      initial: "forever",
      maxRetriesPerRequest: null,
      onRetry: (reason) => settings.emit({ type: "waiting-for-redis", reason }),
    });
    const store = await openStore(settings.storeUrl, redis, "pdfraster-worker-images");
    return new ClusterWorker(settings, tempDir, redis, store);
  }

  private constructor(
    private readonly settings: WorkerSettings,
    private readonly tempDir: string,
    private readonly redis: Redis,
    private readonly store: BlobStore,
  ) {
    const { concurrency, queueName, limits, emit } = settings;
    this.concurrency = concurrency;
    this.keys = new Keys(queueName);
    this.closed = new Promise<void>((resolve) => (this.markClosed = resolve));
    const inputDir = join(tempDir, "inputs");
    this.pageDir = join(tempDir, "pages");
    this.inputs = new InputCache(inputDir, store, this.keys);
    this.channel = new CancelChannel(redis, this.keys, this.id, { cancel: (matches) => this.local.cancel(matches), otherIdle: () => this.otherIdle() });
    this.local = new LocalPages({
      size: concurrency,
      pageTimeoutMs: limits.pageTimeoutMs,
      maxPagesPerWorker: settings.maxPagesPerWorker,
      // The render processes read the fetched inputs only; their own folders are beside them.
      spawn: workerSpawnOptions(DEFAULTS.engine, { readable: [inputDir], workParent: tempDir }, settings.sandboxLimits),
    });
    this.prefetch = new PrefetchPolicy(concurrency);
    this.worker = new this.bullmq.Worker(queueName, (job, token) => this.process(job, token), {
      connection: redis,
      prefix: PREFIX,
      concurrency: this.prefetch.slots,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      removeOnComplete: { count: 0 },
      removeOnFail: { age: 3600 },
      name: `${this.host}:${this.pid}`,
    });
    this.worker.on("error", (error: Error) => {
      if (this.registration.connected) emit({ type: "warning", message: redact(describeError(error), settings.redisUrl) });
    });
    this.registration = new Registration(redis, this.keys, this.id, {
      describe: () => this.describe(),
      beat: () => this.heartbeat(),
      ready: () => emit({ type: "ready", ...this.self, concurrency, redis: maskUrl(settings.redisUrl), queue: queueName, sandbox: describeSandbox(settings.sandbox) }),
      lost: () => emit({ type: "redis-lost" }),
      back: () => emit({ type: "redis-back" }),
    });
  }

  /** Stops taking pages, finishes (or after the grace period hands back) the ones held, unregisters, disconnects. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private get self(): WorkerRef {
    return { id: this.id, host: this.host, pid: this.pid };
  }

  private describe(): WorkerInfo {
    const { pagesDone, pagesFailed } = this.stats;
    return { ...this.self, concurrency: this.concurrency, pagesDone, pagesFailed, busy: this.local.size, started: this.started, sandbox: describeSandbox(this.settings.sandbox) };
  }

  /** With each heartbeat: drops the pages of runs whose submitter died (SIGKILL: its heartbeat expired), and tidies up. */
  private async heartbeat(): Promise<void> {
    for (const run of this.local.runs()) {
      if ((await this.redis.exists(this.keys.alive(run))) === 0) this.local.cancel((page) => page.run === run);
    }
    this.channel.forgetOld();
    await this.store.sweep();
  }

  /** BullMQ's processor: one page attempt; resolves with what became of it (for BullMQ's record). */
  private async process(job: Job, token: string | undefined): Promise<string> {
    const jobId = job.id ?? "";
    const data = this.accept(job.data, jobId);
    // A retry goes to another worker if there is one (the failed attempt's machine may be the problem).
    if (await this.bounce(data, jobId)) {
      await job.moveToDelayed(Date.now() + BOUNCE_MS, token);
      throw new this.bullmq.DelayedError();
    }
    if (this.channel.cancelled(data.run)) return "discarded: the run is gone";
    // The run's heartbeat and the queue's length (for the prefetch policy) in one round trip.
    const [alive, waiting] = (await this.redis.pipeline().exists(this.keys.alive(data.run)).llen(this.keys.waiting).exec()) ?? [];
    if (alive?.[0] || waiting?.[0]) throw alive?.[0] ?? waiting![0]!;
    if (alive?.[1] !== 1) return "discarded: the run is gone";
    const taken = performance.now();
    const localId = this.nextId++;
    const ext = data.task.file?.tiff ? "tif" : { jpeg: "jpg", png: "png", auto: "img" }[data.task.format];
    const outPath = join(this.pageDir, `${localId}.${ext}`);
    const extractPath = join(this.pageDir, `${localId}.json`);
    let outcome: PageResult | PageEnd;
    try {
      outcome = await this.take(job, token, data, Number(waiting?.[1] ?? 0), { localId, outPath, extractPath });
    } catch (error) {
      if (!isPageEnd(error)) throw error;
      outcome = error;
    }
    const renderedAt = performance.now();
    try {
      return await this.deliver(job, token, data, outcome, taken, renderedAt);
    } finally {
      await Promise.all([removeFile(outPath), removeFile(extractPath)]);
    }
  }

  /** Checks the job as untrusted input; refuses it for good (UnrecoverableError) when this worker cannot run it. */
  private accept(data: unknown, jobId: string): ClusterJob {
    const checked = checkClusterJob(data, this.settings.limits);
    if (checked.ok && jobId === jobIdOf(checked.job.run, checked.job.task.id, checked.job.attempt)) return checked.job;
    const reason = checked.ok ? "the job id does not match its data" : checked.reason;
    this.settings.emit({ type: "job-refused", job: jobId, reason });
    throw new this.bullmq.UnrecoverableError(`refused by worker ${this.host}:${this.pid}: ${reason}`);
  }

  /** Whether to leave a retry that asks to avoid this worker to another one: while one is registered, up to MAX_BOUNCES times. */
  private async bounce(data: ClusterJob, jobId: string): Promise<boolean> {
    const bounced = this.bounces.get(jobId) ?? 0;
    if (data.avoid === this.id && bounced < MAX_BOUNCES && (await this.othersAlive())) {
      this.bounces.set(jobId, bounced + 1);
      return true;
    }
    this.bounces.delete(jobId);
    if (this.bounces.size > MAX_BOUNCES_KEPT) this.bounces.clear();
    return false;
  }

  private async othersAlive(): Promise<boolean> {
    return (await liveWorkers(this.redis, this.keys)).some((worker) => worker.id !== this.id);
  }

  /**
   * Holds the page until it is rendered: resolves with its result, or rejects with a PageEnd (or
   * with BullMQ's WaitingError once the job went back to the queue untouched: a prefetched page in
   * the run's tail, or the worker stopping). `waiting`: the queue's length as the job was taken.
   */
  private async take(job: Job, token: string | undefined, data: ClusterJob, waiting: number, at: { localId: number; outPath: string; extractPath: string }): Promise<PageResult> {
    const kept = this.prefetch.taken(this.held, waiting);
    this.applySlots();
    this.held++;
    let cached: string | undefined;
    try {
      if (!kept || this.stopping) {
        await job.moveToWait(token);
        throw new this.bullmq.WaitingError();
      }
      let source: string;
      try {
        source = await this.inputs.acquire(data.input);
        cached = data.input.hash;
      } catch (error) {
        throw new PageFailedError(`cannot fetch the input: ${redact(describeError(error), this.settings.redisUrl)}`);
      }
      const task = toLocalTask(data, at.localId, source, at.outPath, at.extractPath);
      return await this.local.render({ run: data.run, jobId: job.id ?? "" }, task, Math.min(data.timeoutMs, this.settings.limits.pageTimeoutMs));
    } finally {
      this.held--;
      // Lost with Redis, an announcement only leaves a prefetched page elsewhere waiting for its render process.
      if (this.held === 0 && !this.stopping) void this.announceIdle().catch(() => {});
      if (cached) this.inputs.release(cached);
    }
  }

  /** Reports the page to its run (the image into the store first), or hands it back to the queue. */
  private async deliver(job: Job, token: string | undefined, data: ClusterJob, outcome: PageResult | PageEnd, taken: number, renderedAt: number): Promise<string> {
    const { emit } = this.settings;
    const jobId = job.id ?? "";
    if (this.handingBack || outcome instanceof PageHandedBackError) {
      await job.moveToWait(token);
      throw new this.bullmq.WaitingError();
    }
    if (outcome instanceof PageCancelledError || this.channel.cancelled(data.run)) return "cancelled";
    if (outcome instanceof PageFailedError) {
      this.stats.pagesFailed++;
      emit({ type: "page-failed", run: data.run, page: data.task.pageNumber, reason: outcome.message });
      await this.notify(data.run, { type: "failed", job: jobId, worker: this.self, reason: outcome.message });
      return "failed";
    }
    const imageKey = this.keys.page(data.run, jobId, "image");
    const extractKey = this.keys.page(data.run, jobId, "extract");
    await this.uploads.put(this.store, imageKey, outcome.path);
    if (outcome.extractPath) await this.store.put(extractKey, await readFile(outcome.extractPath), PAGE_TTL_MS);
    const { id: _id, path: _path, extractPath, ...rest } = outcome;
    if (!(await this.notify(data.run, { type: "done", job: jobId, worker: this.self, result: { ...rest, extract: extractPath !== undefined } }))) {
      await this.store.delete([imageKey, extractKey]); // the run ended meanwhile
      return "discarded: the run is gone";
    }
    this.stats.pagesDone++;
    const ms = Math.round(outcome.timings.total);
    const [waitMs, uploadMs] = [renderedAt - ms - taken, performance.now() - renderedAt].map((value) => Math.max(0, Math.round(value)));
    emit({ type: "page-done", run: data.run, page: data.task.pageNumber, ms, bytes: outcome.bytes, waitMs: waitMs!, uploadMs: uploadMs! });
    return "done";
  }

  /** Tells the run: only while it is alive (its heartbeat exists); false when it is gone. */
  private async notify(run: string, message: ResultMessage): Promise<boolean> {
    return (await this.redis.eval(NOTIFY_SCRIPT, 2, this.keys.alive(run), this.keys.results(run), JSON.stringify(message), RUN_TTL_MS)) === 1;
  }

  /** Render processes with nothing left and nothing waiting in the queue: tells the workers that may hold a prefetched page. */
  private async announceIdle(): Promise<void> {
    if ((await this.redis.llen(this.keys.waiting)) === 0 && this.held === 0 && !this.stopping) await this.redis.publish(this.keys.idle, idleMessage(this.id));
  }

  /** Another worker has nothing to render: a page waiting here for a busy render process is better off there. */
  private otherIdle(): void {
    this.prefetch.otherIdle(this.local.handBackUnstarted());
    this.applySlots();
  }

  private applySlots(): void {
    if (this.worker.concurrency !== this.prefetch.slots) this.worker.concurrency = this.prefetch.slots;
  }

  private async shutdown(): Promise<void> {
    const { graceMs, emit } = this.settings;
    emit({ type: "stopping", graceSeconds: graceMs / 1000 });
    this.registration.stop();
    this.stopping = true;
    const workerClosed = this.worker.close();
    this.local.handBackUnstarted();
    const handBack = setTimeout(() => {
      this.handingBack = true;
      this.local.cancel(() => true);
    }, graceMs);
    // Redis gone while stopping: the pages held cannot be handed back; their locks expire and the
    // stalled check of another worker puts them back in the queue. A failure to force it changes nothing of that.
    const force = setTimeout(() => void this.worker.close(true).catch(() => {}), graceMs + FORCE_CLOSE_MS);
    // Failed with Redis gone: what the forced close is for; the stop goes on. Bounded as well: BullMQ's
    // close(true) after close() returns the first call's promise, so forcing may not end this wait.
    const closed = await withDeadline(
      workerClosed.then(() => true, () => true),
      graceMs + 2 * FORCE_CLOSE_MS,
      false,
    );
    clearTimeout(handBack);
    clearTimeout(force);
    if (!closed) await withDeadline(this.worker.disconnect().catch(() => {}), QUIT_MS); // its connections dropped
    await this.local.stop();
    await this.registration.unregister();
    this.store.close();
    this.channel.close();
    // Not quit in time (Redis gone): the connection is dropped next.
    await withDeadline(this.redis.quit().catch(() => {}), QUIT_MS);
    this.redis.disconnect();
    // Left behind (EBUSY...), the folder is swept by the next worker or run on this machine (sweepStaleTempDirs).
    await rm(this.tempDir, { recursive: true, force: true }).catch(() => {});
    emit({ type: "stopped", ...this.stats });
    this.markClosed();
  }
}
