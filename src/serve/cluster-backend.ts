import type { Redis } from "ioredis";
import { connect, maskUrl, type ClusterSettings } from "../cluster/connection.js";
import { readStatus, type ClusterStatus } from "../cluster/status.js";
import { withDeadline } from "../deadline.js";
import { PoolError } from "../errors.js";
import type { NormalizedOptions } from "../options.js";
import type { RasterizeReport } from "../report.js";
import { Scheduler } from "../schedule/scheduler.js";
import type { Backend, DocumentRequest, Gauge, Readiness } from "./backend.js";

/** A status read (readyz, metrics) waits at most this long for Redis: a lost Redis makes the service unready, not slow. */
const STATUS_TIMEOUT_MS = 1000;

/**
 * Cluster mode (`pdfraster serve --redis URL`): the service renders nothing itself. Each document is
 * planned here, as by the CLI's master, and its pages go through Redis to the `pdfraster worker`s of
 * the queue, whose own warm pools render them (src/cluster/).
 *
 * Every document is a run of its own (a Scheduler with a ClusterSubmitter, as `pdfraster in.pdf out.pdf
 * --redis URL`): its input, jobs, result stream and page images are named by the run and removed
 * when the run ends, whether it succeeded, failed or was given up on (client gone, time limit,
 * shutdown). A long-lived run shared by all documents would keep every input registered, and
 * heartbeated, for the life of the service; the price of a run per document is a Redis connection
 * pair per document in flight (`maxJobs` of them at most), a few ms to open.
 *
 * Redis lost mid-document: the run fails after the submitter's grace (5 s) with ERR_CLUSTER (503 with
 * Retry-After), the service stays up, and the next document connects afresh. `/readyz` and
 * `/metrics` read the cluster's status on a connection of their own that reconnects by itself.
 */
export class ClusterBackend implements Backend {
  private readonly monitor: Promise<Redis>;
  private readonly masked: string;
  private readonly runs = new Set<Promise<unknown>>();
  private closed = false;
  /** Whether the monitor connection was up at its last change (for the log lines). */
  private up: boolean | undefined;

  constructor(
    private readonly base: NormalizedOptions,
    private readonly settings: ClusterSettings,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`pdfraster serve: ${line}\n`),
  ) {
    this.masked = maskUrl(settings.redis);
    this.monitor = connect(settings.redis, {
      name: "pdfraster-serve",
      initial: "forever",
      maxRetriesPerRequest: 1,
      onRetry: (reason) => this.log(`cannot reach Redis at ${this.masked} (${reason}); retrying`),
    }).then((redis) => {
      redis.on("ready", () => {
        if (this.up === false) this.log(`reconnected to Redis at ${this.masked}`);
        this.up = true;
      });
      redis.on("close", () => {
        if (this.up && !this.closed) this.log(`lost the connection to Redis at ${this.masked}; reconnecting`);
        if (this.up) this.up = false;
      });
      return redis;
    });
    this.monitor.catch(() => {}); // met again by status()
  }

  get description(): string {
    return `cluster ${this.masked} queue ${this.settings.queue}, ${this.base.engine}`;
  }

  async readiness(): Promise<Readiness> {
    const status = await this.status();
    if (!status) return { ready: false, reason: `Redis at ${this.masked} is not reachable`, detail: {} };
    if (status.workers.length === 0) {
      return { ready: false, reason: `No pdfraster worker is registered on queue ${this.settings.queue} at ${this.masked}`, detail: {} };
    }
    return { ready: true, detail: { redis: this.masked, queue: this.settings.queue, workers: status.workers.length, concurrency: status.concurrency } };
  }

  async gauges(): Promise<Record<string, Gauge>> {
    const status = await this.status();
    const up: Record<string, Gauge> = { pdfraster_redis_up: { help: "Whether Redis answered the status read (1) or not (0).", value: status ? 1 : 0 } };
    if (!status) return up;
    const { jobs } = status;
    return {
      ...up,
      pdfraster_pages_queued: { help: "Pages waiting in the cluster's queue (of every submitter), retries held back included.", value: jobs.waiting + jobs.delayed },
      pdfraster_pages_rendering: { help: "Pages being rendered by the cluster's workers.", value: jobs.active },
      pdfraster_workers: { help: "Registered pdfraster worker processes of the queue.", value: status.workers.length },
      pdfraster_workers_busy: { help: "Pages the registered workers hold now.", value: status.workers.reduce((sum, worker) => sum + worker.busy, 0) },
      pdfraster_cluster_concurrency: { help: "Pages the registered workers render at once.", value: status.concurrency },
      pdfraster_cluster_runs: { help: "Runs in flight on the queue (this service's documents and other submitters').", value: status.runs.length },
    };
  }

  async rasterize(request: DocumentRequest): Promise<RasterizeReport> {
    if (this.closed) throw new PoolError("The service is shutting down");
    const { signal } = request;
    signal.throwIfAborted();
    // The run stops (and removes everything of it from Redis) when the signal aborts.
    const opts: NormalizedOptions = { ...request.options, cluster: this.settings, signal };
    // The cluster renders: no local workers. It connects while the document is planned; the plan's hint uploads the input.
    const scheduler = new Scheduler({ options: opts, scope: { readable: [], workParent: request.tempDir }, workers: "fit" });
    const run = (async () => {
      try {
        return await scheduler.submit({ source: request.input, inputPath: null, target: request.target, options: opts, tempDir: request.tempDir, maxPages: request.maxPages }, { signal });
      } finally {
        await scheduler.close(); // its connection, its jobs and its uploaded input go
      }
    })();
    const settled = run.catch(() => {}); // close() only waits for it; the request meets the error below
    this.runs.add(settled);
    try {
      return await run;
    } finally {
      this.runs.delete(settled);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.runs);
    const redis = await this.monitor.catch(() => undefined);
    redis?.disconnect();
  }

  /** The cluster's status now, or undefined when Redis does not answer within STATUS_TIMEOUT_MS. */
  private async status(): Promise<ClusterStatus | undefined> {
    const redis = await this.monitor.catch(() => undefined);
    if (!redis || redis.status !== "ready") return undefined;
    return withDeadline(readStatus(redis, this.settings.queue, this.masked), STATUS_TIMEOUT_MS).catch(() => undefined);
  }
}
