import { stat } from "node:fs/promises";
import type { NormalizedOptions } from "./options.js";
import type { Plan } from "./plan.js";
import type { ResultMeta } from "./pool/executor.js";
import type { PageResult, PageTask } from "./pool/messages.js";
import type { PageSink } from "./output/sink.js";
import { BandCollector } from "./bands/collect.js";
import type { PageEncoding, PageFailure, ProgressEvent, RasterizeReport, StageTimings } from "./report.js";

/** How a job gives up on pages: what the scheduler running it does for it. */
export interface JobControl {
  /** The job gives up on its remaining pages (`--on-error abort`, the output cannot be written): stop rendering them, and finish it. */
  cancel(job: DocumentJob): void;
  /** Removes queued tasks that are no longer wanted (the other bands of a page that failed). */
  drop(matches: (task: PageTask) => boolean): void;
}

/** What the job's output tells it while pages are written. */
export interface SinkEvents {
  /** A page image turned out unusable while assembling: the page counts as failed after all. */
  onBadImage(index: number, reason: string): void;
  /** The output cannot be written (disk full): the job gives up on its remaining pages. */
  onWriteError(): void;
}

/**
 * One document of a run: its planned pages, where they go, and what became of each. The scheduler
 * routes the executor's results here by task id; the job counts, reports progress and, once every
 * page has an outcome, commits its output (or aborts it) and builds its report.
 */
export class DocumentJob {
  readonly tasks: PageTask[];
  readonly timings: StageTimings = { plan: 0, workerStart: 0, load: 0, draw: 0, readback: 0, encode: 0, write: 0, ipc: 0, assemble: 0 };
  private readonly indexOf: Map<number, number>;
  /** Each page's band results as they come (an unbanded page is one band). */
  private readonly bands: BandCollector;
  /** The worker of each band result collected so far (by result id), for `page-done`'s `bands`. */
  private readonly bandWorkers = new Map<number, number>();
  private readonly failures: PageFailure[] = [];
  private readonly retried = new Set<number>();
  /** Pages rendered by another engine than the plan's (the fallback engine). */
  private readonly fallbackPages = new Set<number>();
  /** How each page rendered so far is stored, by output index (a page found unusable later is dropped). */
  private readonly encodings = new Map<number, PageEncoding>();
  private readonly total: number;
  private done = 0;
  private rendered = 0;
  private settled = 0;
  /** `--on-error abort` and a page failed: the rest of the document is not rendered. */
  cancelled = false;

  readonly input: string | null;
  readonly plan: Plan;
  /** Set by open(), before anyone else sees the job. */
  private sink!: PageSink;
  private readonly opts: NormalizedOptions;
  private readonly emit: (event: ProgressEvent) => void;
  private readonly control: JobControl;
  private readonly started: number;
  /** The output as shown in the document-open event (a path, `-`, or the image folder or pattern). */
  private readonly output: string;

  /** A job with its output open: `openSink` makes the output, which reports to the job through `events`. */
  static async open(init: JobInit, openSink: (events: SinkEvents) => Promise<PageSink>): Promise<DocumentJob> {
    const job = new DocumentJob(init);
    job.sink = await openSink({ onBadImage: job.onBadImage, onWriteError: job.onWriteError });
    return job;
  }

  private constructor(init: JobInit) {
    this.input = init.input;
    this.output = init.output;
    this.plan = init.plan;
    this.opts = init.opts;
    this.emit = init.emit;
    this.control = init.control;
    this.started = init.started;
    const plan = init.plan;
    this.timings.plan = init.planMs;
    this.tasks = plan.pages.flatMap((page) => ("tasks" in page ? page.tasks : []));
    this.indexOf = new Map(plan.pages.flatMap((page, index) => ("tasks" in page ? page.tasks.map((task) => [task.id, index] as const) : [])));
    this.bands = new BandCollector(plan.pages.flatMap((page, index) => ("tasks" in page ? [[index, page.tasks.length] as [number, number]] : [])));
    this.total = plan.pages.length;
  }

  /** Reports the document as opened and records the pages that failed while planning. */
  start(workers: number): void {
    this.emit({ type: "document-open", input: this.input, output: this.output, pages: this.plan.pageCount, selected: this.total, workers });
    for (const [index, page] of this.plan.pages.entries()) {
      if ("error" in page) this.fail(index, page.error);
    }
  }

  /** Every page has an outcome, or the job gave up on the rest. */
  get finished(): boolean {
    return this.cancelled || this.settled >= this.total;
  }

  owns(task: PageTask): boolean {
    return this.indexOf.has(task.id);
  }

  /** A bad page image found while assembling: the page counts as failed after all. */
  private readonly onBadImage = (index: number, reason: string): void => {
    this.rendered--;
    this.done--;
    this.settled--;
    this.fail(index, `unusable page image: ${reason}`, false);
  };

  /** The output cannot be written (disk full): give up on the remaining pages; finish() then throws the error. */
  private readonly onWriteError = (): void => {
    if (this.cancelled) return;
    this.cancelled = true;
    this.control.cancel(this);
  };

  onResult(task: PageTask, result: PageResult, meta: ResultMeta): void {
    if (this.cancelled) return;
    const index = this.indexOf.get(task.id)!;
    const t = result.timings;
    this.timings.load += t.load;
    this.timings.draw += t.draw;
    this.timings.readback += t.readback;
    this.timings.encode += t.encode;
    this.timings.write += t.write;
    this.timings.ipc += Math.max(0, meta.elapsedMs - t.total);
    const pad = task.pad ?? { top: 0, right: 0, bottom: 0, left: 0 };
    if (result.width !== task.width + pad.left + pad.right || result.height !== task.height + pad.top + pad.bottom || result.bytes <= 0) {
      this.failPage(index, `worker returned a ${result.width}x${result.height} image of ${result.bytes} bytes`, result);
      return;
    }
    if (task.band) this.bandWorkers.set(result.id, meta.workerPid);
    const results = this.bands.add(index, task.band?.index ?? 0, result);
    if (!results) return; // more bands to come, or the page failed already
    const bands = task.band ? results.map((r) => ({ worker: this.bandWorkers.get(r.id)!, ms: Math.round(r.timings.total) })) : undefined;
    for (const r of results) this.bandWorkers.delete(r.id);
    this.rendered++;
    this.done++;
    this.settled++;
    if (results.some((r) => r.engine !== this.plan.engine)) this.fallbackPages.add(task.pageNumber);
    const encoding = results[0]!.encoding;
    const formats = new Set(results.map((r) => r.format));
    const stored: PageEncoding = {
      page: task.pageNumber,
      ...(encoding ? { encoding } : {}),
      format: formats.size === 1 ? result.format : results.map((r) => r.format).join("+"),
      bytes: results.reduce((sum, r) => sum + r.outputBytes, 0),
    };
    this.encodings.set(index, stored);
    this.emit({
      type: "page-done",
      input: this.input,
      page: task.pageNumber,
      done: this.done,
      total: this.total,
      ms: Math.round(results.reduce((sum, r) => sum + r.timings.total, 0)),
      bytes: stored.bytes,
      worker: meta.workerPid,
      ...(meta.host !== undefined ? { host: meta.host } : {}),
      engine: result.engine,
      ...(encoding ? { encoding } : {}),
      format: stored.format,
      ...(bands ? { bands } : {}),
    });
    this.sink.accept(index, { kind: "image", results });
  }

  /** A band (or the whole page) failed for good: the page fails once, and its other bands are dropped as they come. */
  private failPage(index: number, reason: string, unusable?: PageResult): void {
    if (!this.bands.fail(index, unusable)) return;
    // Its bands still queued would only be thrown away (a page that hangs would time out in each).
    this.control.drop((task) => this.indexOf.get(task.id) === index);
    this.fail(index, reason);
  }

  onFailure(task: PageTask, reason: string, final: boolean): void {
    if (this.cancelled) return;
    if (!final) {
      if (this.bands.hasFailed(this.indexOf.get(task.id)!)) return;
      this.retried.add(task.pageNumber);
      this.emit({ type: "page-failed", input: this.input, page: task.pageNumber, reason, willRetry: true, done: this.done, total: this.total });
      return;
    }
    this.failPage(this.indexOf.get(task.id)!, reason);
  }

  /** Records a final failure; `toSink`: tell the sink (false when the sink itself found the page unusable and stands in for it). */
  private fail(index: number, reason: string, toSink = true): void {
    const page = this.plan.pages[index]!.pageNumber;
    this.encodings.delete(index);
    this.failures.push({ page, reason });
    this.done++;
    this.settled++;
    this.emit({ type: "page-failed", input: this.input, page, reason, willRetry: false, done: this.done, total: this.total });
    if (this.opts.onError === "abort") {
      if (!this.cancelled) {
        this.cancelled = true;
        this.control.cancel(this);
      }
      return;
    }
    if (toSink) this.sink.accept(index, { kind: "failed" });
  }

  /**
   * Waits for the output, then commits it (when there is something to keep) or removes it, and
   * returns the report. `output` in the report is null when nothing was written.
   */
  async finish(workers: number): Promise<RasterizeReport> {
    const sink = this.sink;
    let output: string | null = null;
    let outputBytes = 0;
    const keep = !this.cancelled && !(this.opts.onError === "abort" && this.failures.length > 0);
    try {
      await sink.flush();
      if (keep && sink.pagesWritten > 0) {
        const committed = await sink.commit();
        output = committed.output;
        outputBytes = committed.bytes;
      }
    } finally {
      if (output === null) await sink.abort();
    }
    this.timings.assemble = sink.assembleMs;
    for (const key of Object.keys(this.timings) as (keyof StageTimings)[]) this.timings[key] = Math.round(this.timings[key]);
    this.failures.sort((a, b) => a.page - b.page);
    const report: RasterizeReport = {
      input: this.input,
      output,
      pages: this.plan.pageCount,
      selected: this.total,
      rendered: this.rendered,
      failed: this.failures,
      outputPages: output === null ? 0 : sink.pagesWritten,
      outputBytes,
      inputBytes: await this.inputBytes(),
      pageEncodings: output === null ? [] : [...this.encodings].sort(([a], [b]) => a - b).map(([, stored]) => stored),
      durationMs: Math.round(performance.now() - this.started),
      workers,
      dpi: this.opts.dpi,
      size: this.opts.size === "original" ? "original" : this.opts.size.name,
      format: this.opts.format,
      retried: [...this.retried].sort((a, b) => a - b),
      engine: this.plan.engine,
      // The fallback engine takes retries only when the plan did not already have to use it.
      fallbackEngine: this.plan.engine === this.opts.engine ? (this.opts.fallbackEngine ?? null) : null,
      fallbackPages: [...this.fallbackPages].sort((a, b) => a - b),
      timings: this.timings,
    };
    const text = this.opts.keepText && output !== null ? sink.textStats?.() : undefined;
    if (text) report.text = text;
    this.emit({ type: "document-done", input: this.input, report });
    return report;
  }

  /** Size of the input file (the one every task names; input given as bytes is a file in the temp dir too). */
  private async inputBytes(): Promise<number> {
    const source = this.tasks[0]?.source;
    return source ? await stat(source).then((s) => s.size, () => 0) : 0;
  }

  /** Removes the output of a job that will not finish (the run was aborted or the pool failed). */
  async abort(): Promise<void> {
    await this.sink.abort();
  }
}

interface JobInit {
  input: string | null;
  /** The output as the document-open event shows it (a path, `-`, or the image folder or pattern). */
  output: string;
  plan: Plan;
  opts: NormalizedOptions;
  emit: (event: ProgressEvent) => void;
  control: JobControl;
  /** performance.now() when work on the document began (its report's durationMs counts from there). */
  started: number;
  planMs: number;
}
