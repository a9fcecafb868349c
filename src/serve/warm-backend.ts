import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PoolError } from "../errors.js";
import type { NormalizedOptions } from "../options.js";
import { workerSandbox } from "../pool/spawn.js";
import type { RasterizeReport } from "../report.js";
import { Scheduler } from "../schedule/scheduler.js";
import { describeSandbox, type SandboxInfo } from "../sandbox/index.js";
import type { Backend, DocumentRequest, Gauge, Readiness } from "./backend.js";

/** The workers' own folders, in the service's temp folder beside the jobs' (page images are renamed from one to the other). */
export const WORKERS_FOLDER = "workers";

/**
 * The local warm pool: one long-lived Scheduler (workers "warm") whose workers start with the service
 * and stay up; every document is planned in this process and its pages queued to the shared workers.
 * A document given up on (its signal aborts) has its queued pages dropped and the workers busy with
 * its pages killed and replaced. When the pool itself fails (workers cannot start, the temp disk is
 * full) the documents in flight fail with that error and a fresh scheduler takes over.
 */
export class WarmBackend implements Backend {
  private scheduler!: Scheduler;
  private closed = false;
  /** The pool failed and a new one starts shortly. */
  private failed = false;
  private started = 0;
  private readonly sandbox: SandboxInfo;

  /** `root`: the service's temp folder, where the uploads are (the workers read them) and the workers' own folders go. */
  constructor(
    private readonly base: NormalizedOptions,
    private readonly root: string,
  ) {
    this.sandbox = workerSandbox(base.sandbox);
    mkdirSync(join(root, WORKERS_FOLDER));
    this.start();
  }

  get description(): string {
    return `${this.base.workers} workers, ${this.base.engine}, sandbox ${describeSandbox(this.sandbox)}`;
  }

  async readiness(): Promise<Readiness> {
    const { workers } = this.base;
    const { ready } = this.scheduler.stats;
    if (this.closed || ready < workers) return { ready: false, reason: `${ready} of ${workers} workers ready`, detail: {} };
    return { ready: true, detail: { workers, ready, sandbox: describeSandbox(this.sandbox) } };
  }

  async gauges(): Promise<Record<string, Gauge>> {
    const stats = this.scheduler.stats;
    const started = this.started + stats.started;
    return {
      pdfraster_pages_queued: { help: "Pages waiting for a worker.", value: stats.queued },
      pdfraster_workers: { help: "Live worker processes.", value: stats.workers },
      pdfraster_workers_ready: { help: "Worker processes ready for a page.", value: stats.ready },
      pdfraster_workers_busy: { help: "Worker processes rendering a page.", value: stats.busy },
      pdfraster_worker_restarts_total: { help: "Workers started beyond the first ones (recycled, crashed, timed out or killed).", value: Math.max(0, started - this.base.workers) },
    };
  }

  async rasterize(request: DocumentRequest): Promise<RasterizeReport> {
    const { signal } = request;
    if (this.closed) throw new PoolError("The service is shutting down");
    if (this.failed) throw new PoolError("The workers are restarting: try again");
    // Documents in flight when the pool fails get its error (a PoolError, or an OutputError for a full disk).
    return await this.scheduler.submit(
      { source: request.input, inputPath: null, target: request.target, options: request.options, tempDir: request.tempDir, maxPages: request.maxPages },
      { signal },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.scheduler.close();
  }

  private start(): void {
    const scheduler = new Scheduler({
      options: this.base,
      scope: { readable: [this.root], workParent: join(this.root, WORKERS_FOLDER) },
      workers: "warm",
      onFailure: (error) => {
        if (this.closed) return;
        this.failed = true;
        process.stderr.write(`pdfraster serve: the worker pool failed (${error instanceof Error ? error.message : String(error)}); starting a new one\n`);
        this.started += scheduler.stats.started;
        // Not at once: workers that cannot start would otherwise be forked in a tight loop.
        setTimeout(() => this.closed || this.start(), 1000).unref();
      },
    });
    this.scheduler = scheduler;
    this.failed = false;
  }
}
