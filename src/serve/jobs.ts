import { randomUUID } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { withDeadline } from "../deadline.js";
import { AbortError, LimitError } from "../errors.js";
import type { ProgressEvent, RasterizeReport } from "../report.js";
import type { Backend } from "./backend.js";
import type { ServiceConfig } from "./config.js";
import { HttpError, toHttp, type HttpFailure } from "./http-errors.js";
import type { Metrics } from "./metrics.js";
import type { OutputKind, RequestOptions } from "./request-options.js";
import { writeZip } from "./zip.js";

export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled";

/** An upload saved in a job's own folder. */
export interface Upload {
  /** The job's folder (everything of the job lives here and goes with it). */
  dir: string;
  path: string;
  /** The file name the client gave (for the result's name), or `document.pdf`. */
  name: string;
  bytes: number;
}

/** The finished output of a job, in its folder. */
export interface JobResult {
  path: string;
  type: "application/pdf" | "application/zip" | "image/tiff";
  bytes: number;
  /** Suggested download name: `<upload stem>-raster.pdf` or `.zip`. */
  filename: string;
}

/** What a job reports about itself (GET /v1/jobs/:id). */
export interface JobView {
  id: string;
  status: JobStatus;
  /** Pages with an outcome, of the selected pages (0 of 0 until the document is open). */
  progress: { done: number; total: number };
  createdAt: string;
  /** When the result (or error) goes away; set once the job has ended. */
  expiresAt: string | null;
  report: RasterizeReport | null;
  error: HttpFailure["body"] | null;
  /** Where to fetch the result (once status is done). */
  result: string | null;
}

/** performance.now() at each stage of a job: its Server-Timing header, and where the benchmark's breakdown comes from. */
export interface JobMarks {
  /** The request arrived (its upload starts). */
  request: number;
  /** The upload is on disk: the job exists. */
  received: number;
  /** It got a turn (`maxJobs`). */
  running?: number;
  /** The document is open and planned: its pages are queued. */
  opened?: number;
  firstPage?: number;
  lastPage?: number;
  /** The output is committed (or the job failed). */
  finished?: number;
}

/** An event of a job's stream: a progress event, or the end of the job. */
export type JobEvent = ProgressEvent | { type: "end"; job: JobView };

/** One document through the service: its upload, its progress events, and its result or error. */
export class ServiceJob {
  readonly id = randomUUID();
  readonly created = new Date();
  status: JobStatus = "queued";
  readonly events: ProgressEvent[] = [];
  report: RasterizeReport | null = null;
  failure: HttpFailure | null = null;
  result: JobResult | null = null;
  expiresAt: Date | null = null;
  readonly controller = new AbortController();
  private readonly listeners = new Set<(event: JobEvent) => void>();
  private done = 0;
  private total = 0;
  /** Settles when the job has ended (done, failed or cancelled). */
  readonly ended: Promise<void>;
  private end!: () => void;

  readonly marks: JobMarks;

  constructor(
    readonly upload: Upload,
    readonly request: RequestOptions,
    requestStarted = performance.now(),
  ) {
    this.marks = { request: requestStarted, received: performance.now() };
    this.ended = new Promise((resolve) => (this.end = resolve));
  }

  get finished(): boolean {
    return this.status === "done" || this.status === "failed" || this.status === "cancelled";
  }

  emit(event: ProgressEvent): void {
    const now = performance.now();
    if (event.type === "document-open") {
      this.total = event.selected;
      this.marks.opened = now;
    }
    if (event.type === "page-done") {
      this.marks.firstPage ??= now;
      this.marks.lastPage = now;
    }
    if (event.type === "page-done" || event.type === "page-failed") {
      this.done = event.done;
      this.total = event.total;
    }
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Calls `listener` with every event so far, then each new one, then `end`; returns the unsubscribe. */
  subscribe(listener: (event: JobEvent) => void): () => void {
    for (const event of this.events) listener(event);
    if (this.finished) {
      listener({ type: "end", job: this.view() });
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records how the job ended and tells the listeners. */
  close(status: "done" | "failed" | "cancelled", expiresAt: Date): void {
    this.marks.finished = performance.now();
    this.status = status;
    this.expiresAt = expiresAt;
    const end: JobEvent = { type: "end", job: this.view() };
    for (const listener of this.listeners) listener(end);
    this.listeners.clear();
    this.end();
  }

  view(): JobView {
    return {
      id: this.id,
      status: this.status,
      progress: { done: this.done, total: this.total },
      createdAt: this.created.toISOString(),
      expiresAt: this.expiresAt?.toISOString() ?? null,
      report: this.report,
      error: this.failure?.body ?? null,
      result: this.status === "done" ? `/v1/jobs/${this.id}/result` : null,
    };
  }
}

/**
 * The service's jobs: admission (at most `maxJobs` rendering, `maxQueue` waiting, the rest 429), the
 * per-job time limit, results kept for `resultTtl` after the job ends, and each job's folder removed
 * with it (on download of a synchronous result, DELETE, expiry or shutdown).
 */
export class JobRegistry {
  private readonly jobs = new Map<string, ServiceJob>();
  private readonly timers = new Map<ServiceJob, NodeJS.Timeout>();
  /** Jobs rendering now. */
  private active = 0;
  /** Admitted jobs not rendering yet: waiting for a turn. */
  private reserved = 0;
  private readonly turns: Array<() => void> = [];
  private closing = false;

  constructor(
    private readonly config: ServiceConfig,
    private readonly backend: Backend,
    private readonly metrics: Metrics,
    private readonly scrub: (text: string) => string,
  ) {}

  /** Jobs rendering, admitted ones waiting, and uploads under way. */
  get load(): { active: number; waiting: number; uploading: number } {
    return { active: this.active, waiting: this.reserved, uploading: this.uploads };
  }

  /** Uploads being received: they hold no place among the jobs (a slow one must not keep documents out). */
  private uploads = 0;

  /**
   * Before an upload is read: throws 429 when the jobs are full (so that a busy service reads nothing)
   * or `maxUploads` uploads are under way, 503 while shutting down; else counts the upload. Takes no
   * place among the jobs: admit() does, once the upload is complete. Pair with uploadEnded().
   */
  uploadStarts(): void {
    if (this.closing) throw new AbortError();
    this.checkRoom();
    if (this.uploads >= this.config.maxUploads) {
      this.metrics.count("pdfraster_rejected_total", 'reason="uploads"');
      throw new LimitError(`The service is receiving ${this.uploads} uploads already: try again later`, "ERR_BUSY");
    }
    this.uploads++;
  }

  uploadEnded(): void {
    this.uploads--;
  }

  /** Admits a complete upload as a job, or throws 429 (or 503 while shutting down). Pair with start() or release(). */
  admit(): void {
    if (this.closing) throw new AbortError();
    this.checkRoom();
    this.reserved++;
  }

  private checkRoom(): void {
    if (this.active + this.reserved >= this.config.maxJobs + this.config.maxQueue) {
      this.metrics.count("pdfraster_rejected_total", 'reason="busy"');
      throw new LimitError(`The service is busy (${this.active} documents rendering, ${this.reserved} waiting): try again later`, "ERR_BUSY");
    }
  }

  /** Gives back an admission whose job could not start. */
  release(): void {
    this.reserved--;
  }

  /** Starts an admitted job; it renders when a turn is free. */
  start(upload: Upload, request: RequestOptions, requestStarted?: number): ServiceJob {
    const job = new ServiceJob(upload, request, requestStarted);
    this.jobs.set(job.id, job);
    const limit = setTimeout(() => {
      job.controller.abort(new LimitError(`The document took longer than the service's time limit of ${this.config.timeLimitMs / 1000} s`, "ERR_TIMEOUT"));
    }, this.config.timeLimitMs);
    void this.run(job).finally(() => clearTimeout(limit));
    return job;
  }

  get(id: string): ServiceJob | undefined {
    return this.jobs.get(id);
  }

  /** Cancels a job (if it still runs) and removes it with its folder. */
  async remove(job: ServiceJob, reason: unknown = new AbortError("cancelled")): Promise<void> {
    if (!job.finished) job.controller.abort(reason);
    await job.ended;
    clearTimeout(this.timers.get(job));
    this.timers.delete(job);
    this.jobs.delete(job.id);
    await rm(job.upload.dir, { recursive: true, force: true }).catch(() => {}); // best effort: the service's root goes at shutdown
  }

  /**
   * Shutting down: no more admissions; waits up to `graceMs` for the jobs in flight, cancels the
   * rest, and removes every job.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const inFlight = [...this.jobs.values()].filter((job) => !job.finished).map((job) => job.ended);
    await withDeadline(Promise.all(inFlight), graceMs);
    await Promise.all([...this.jobs.values()].map((job) => this.remove(job, new AbortError("The service is shutting down"))));
  }

  private async run(job: ServiceJob): Promise<void> {
    const { signal } = job.controller;
    const started = performance.now();
    let status: "done" | "failed" | "cancelled" = "failed";
    try {
      await this.turn(signal);
      job.status = "running";
      job.marks.running = performance.now();
      const { options, output } = job.request;
      const dir = job.upload.dir;
      const target =
        output === "zip"
          ? ({ kind: "images", dir: join(dir, "pages"), pattern: undefined, display: "pages" } as const)
          : ({ kind: output, path: join(dir, `output.${output}`) } as const);
      try {
        const report = await this.backend.rasterize({
          input: job.upload.path,
          tempDir: dir,
          target,
          options: { ...options, onProgress: (event) => job.emit(this.observed(publicEvent(event, job.upload.name, output))) },
          maxPages: this.config.maxPages,
          signal,
        });
        job.report = publicReport(report, job.upload.name, output);
        if (report.output === null) {
          throw new HttpError(422, "ERR_PAGES_FAILED", `${report.failed.length} of ${report.selected} page(s) failed: no output written (on-error=${options.onError})`, {}, report.failed);
        }
        job.result = output === "zip" ? await this.zip(job, join(dir, "pages")) : await this.file(job, report.output, output);
        status = "done";
      } finally {
        this.active--;
        this.turns.shift()?.();
      }
    } catch (error) {
      const reason: unknown = signal.aborted ? signal.reason : error;
      status = signal.aborted && !(reason instanceof LimitError) ? "cancelled" : "failed";
      job.failure = toHttp(reason, this.scrub, () => this.metrics.retryAfterSeconds());
      // Keep only the error: the upload and partial files go now.
      await rm(job.upload.dir, { recursive: true, force: true }).catch(() => {}); // the job's error is the one to keep
    } finally {
      const ms = performance.now() - started;
      if (status === "done") this.metrics.documentDone(ms);
      this.metrics.count("pdfraster_documents_total", `status="${status}"`);
      const expires = new Date(Date.now() + this.config.resultTtlMs);
      job.close(status, expires);
      const timer = setTimeout(() => void this.remove(job), this.config.resultTtlMs);
      timer.unref();
      this.timers.set(job, timer);
    }
  }

  /** Waits for a free turn (at most `maxJobs` documents render at once). */
  private async turn(signal: AbortSignal): Promise<void> {
    try {
      if (this.active >= this.config.maxJobs) {
        await new Promise<void>((resolve, reject) => {
          const go = (): void => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          };
          const onAbort = (): void => {
            const index = this.turns.indexOf(go);
            if (index !== -1) this.turns.splice(index, 1);
            reject(signal.reason);
          };
          this.turns.push(go);
          signal.addEventListener("abort", onAbort, { once: true });
        });
      }
      signal.throwIfAborted();
      this.active++;
    } finally {
      this.reserved--;
    }
  }

  /** Counts pages and failures as the events pass. */
  private observed(event: ProgressEvent): ProgressEvent {
    if (event.type === "page-done") {
      this.metrics.count("pdfraster_pages_total");
      this.metrics.pageDone(event.ms);
    } else if (event.type === "page-failed") {
      this.metrics.count(event.willRetry ? "pdfraster_page_retries_total" : "pdfraster_page_failures_total");
    }
    return event;
  }

  private async file(job: ServiceJob, path: string, kind: "pdf" | "tiff"): Promise<JobResult> {
    const { size } = await stat(path);
    return { path, type: kind === "pdf" ? "application/pdf" : "image/tiff", bytes: size, filename: `${stem(job.upload.name)}-raster.${kind}` };
  }

  private async zip(job: ServiceJob, pages: string): Promise<JobResult> {
    const names = (await readdir(pages)).sort();
    const path = join(job.upload.dir, "pages.zip");
    const base = stem(job.upload.name);
    const entries = names.map((name) => ({ name: name.replace(/^page-/, `${base}-`), path: join(pages, name) }));
    const bytes = await writeZip(path, entries);
    await rm(pages, { recursive: true, force: true });
    return { path, type: "application/zip", bytes, filename: `${base}-raster.zip` };
  }
}

function stem(name: string): string {
  return name.replace(/\.pdf$/i, "") || "document";
}

/** Reports and events name the upload, never a path on the server. */
function publicReport(report: RasterizeReport, name: string, output: OutputKind): RasterizeReport {
  return { ...report, input: name, output: report.output === null ? null : `${stem(name)}-raster.${output}` };
}

function publicEvent(event: ProgressEvent, name: string, output: OutputKind): ProgressEvent {
  if (event.type === "document-done") return { ...event, input: name, report: publicReport(event.report, name, output) };
  if (event.type === "document-open") return { ...event, input: name, output: null };
  if (event.type === "document-failed") return { ...event, input: name };
  if (event.type === "no-workers") return { type: event.type, queue: event.queue, waitedMs: event.waitedMs }; // not the service's Redis
  return { ...event, input: name };
}

/**
 * The job's stages as a Server-Timing header (RFC: W3C Server Timing), in ms: `upload` (request to
 * upload on disk), `wait` (for a turn), `plan` (open and plan in this process), `first-page` (plan to
 * the first page back), `render` (plan to the last page back), `finish` (last page to the committed
 * output), and `busy`: the workers' own time on its pages (render, encode, write), summed, so that
 * `workers x render - busy` is the time the workers were idle during the document.
 */
export function serverTiming(job: ServiceJob): string {
  const m = job.marks;
  const t = job.report?.timings;
  const span = (from: number | undefined, to: number | undefined): number | undefined => (from === undefined || to === undefined ? undefined : to - from);
  const parts: Array<[string, number | undefined]> = [
    ["upload", span(m.request, m.received)],
    ["wait", span(m.received, m.running)],
    ["plan", span(m.running, m.opened)],
    ["first-page", span(m.opened, m.firstPage)],
    ["render", span(m.opened, m.lastPage)],
    ["finish", span(m.lastPage, m.finished)],
    ["busy", t && t.load + t.draw + t.readback + t.encode + t.write],
    ["total", span(m.request, m.finished)],
  ];
  return parts.flatMap(([name, ms]) => (ms === undefined ? [] : [`${name};dur=${ms.toFixed(1)}`])).join(", ");
}
