import { access, constants, mkdir, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { AbortError, InputError, LimitError, OutputError, PdfRasterError, PoolError, UsageError, describeError, isDiskError } from "./errors.js";
import { DocumentJob } from "./job.js";
import { Keeper } from "./keep/keeper.js";
import { normalizeOptions, PDFA_IS_FOR_PDF, type NormalizedOptions, type RasterizeOptions } from "./options.js";
import { ImageSink } from "./output/images.js";
import { PdfSink } from "./output/pdf.js";
import { inputStem, notOnePage, resolveOutput, type OutputTarget } from "./output/target.js";
import { TiffSink } from "./output/tiff.js";
import { planDocument, type TaskIds } from "./plan.js";
import type { BatchReport, DocumentFailure, ProgressEvent, RasterizeReport } from "./report.js";
import { abortError, Runner, workerSandbox } from "./run.js";
import { TEMP_PREFIX, createTempDir, sweepInBackground } from "./temp-dir.js";
import type { EngineName } from "./engines/registry.js";
import type { FileFormat } from "./worker/encode.js";

/** Workers forked before the document is opened (see rasterize()). */
const EARLY_WORKERS = 2;

/**
 * Rasterizes every (selected) page of `input` and writes an image-only PDF to `output`, or one
 * image per page when `output` is a folder (ends in `/` or exists as one) or a pattern such as
 * `out/page-%03d.png` (one image when it is named `.png`/`.jpg` and one page is selected), or
 * streams the PDF to `output` when it is a writable stream (the stream is
 * written only on success, and is not ended).
 * Resolves with a report, also when pages failed (see `report.failed`); rejects with a
 * {@link PdfRasterError} subclass when the run cannot happen at all.
 */
export async function rasterize(
  input: string | Uint8Array,
  output: string | NodeJS.WritableStream,
  options: RasterizeOptions = {},
): Promise<RasterizeReport> {
  const started = performance.now();
  const opts = normalizeOptions(options);
  throwIfAborted(opts.signal);
  const target = await resolveOutput(output);
  if (typeof input !== "string" && !(input instanceof Uint8Array)) {
    throw new UsageError(`Expected \`input\` to be a path or a Uint8Array, got ${typeof input}`);
  }
  const inputPath = typeof input === "string" ? await checkInput(input) : null;
  if (target.kind === "pdf" || target.kind === "tiff") await checkOutput(target.path, output as string, inputPath);
  const sandbox = opts.cluster ? undefined : workerSandbox(opts.sandbox);

  const tempDir = await makeTempDir();
  // Bytes given as input are written into the temp folder: the workers read it (their own folders inside are writable).
  const runner = new Runner(opts, { readable: [inputPath ?? tempDir], workParent: tempDir });
  // Before the page count is known, start at most two workers: a one-page document on a 64-core
  // machine must not fork 64 processes. The rest start (or the extra one goes) once it is known.
  runner.prestart(Math.min(opts.workers, EARLY_WORKERS));
  let job: DocumentJob | undefined;
  try {
    job = await prepareDocument(inputPath ?? (input as Uint8Array), inputPath, target, opts, tempDir, runner, started, 0, { prestart: true });
    if (opts.signal?.aborted) {
      await job.abort();
      throw abortError(opts.signal);
    }
    // Tasks, not pages: a big page renders as bands, each its own task, on as many workers.
    const size = Math.max(1, Math.min(opts.workers, job.tasks.length));
    runner.prestart(size);
    const [outcome] = await runner.run(only(job), size, true);
    if (outcome!.error !== undefined) throw outcome!.error;
    return { ...outcome!.report!, ...(sandbox ? { sandbox } : {}) };
  } catch (error) {
    // A pool that failed before it took the job (workers that cannot start, Redis gone) never aborted it: its partial output goes now.
    await job?.abort();
    throw asOutputError(error);
  } finally {
    await runner.close(); // workers prestarted for a document that could not be planned
    await rm(tempDir, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Rasterizes many documents through one pool of workers, pages of several documents in flight at
 * once, each into `<outDir>/<input-stem>.pdf` (`outDir` is created if needed). A document that
 * cannot be read is reported in its entry and the others go on. Resolves with one entry per input,
 * in input order; rejects only when the batch as a whole cannot run (bad options, two inputs
 * with the same output name, aborted, workers that cannot start).
 */
export async function rasterizeBatch(
  inputs: readonly string[],
  outDir: string,
  options: RasterizeOptions = {},
): Promise<BatchReport> {
  const started = performance.now();
  const opts = normalizeOptions(options);
  throwIfAborted(opts.signal);
  if (!Array.isArray(inputs) || inputs.some((input) => typeof input !== "string" || input === "")) {
    throw new UsageError("Expected `inputs` to be an array of file paths");
  }
  if (typeof outDir !== "string" || outDir === "") throw new UsageError(`Expected \`outDir\` to be a folder path, got \`${String(outDir)}\``);
  const dir = resolve(outDir);
  const outputs = batchOutputs(inputs, dir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new OutputError(`Cannot create the output folder ${outDir}: ${describeError(error)}`, { cause: error });
  }

  const sandbox = opts.cluster ? undefined : workerSandbox(opts.sandbox);
  const entries: Array<RasterizeReport | DocumentFailure | undefined> = inputs.map(() => undefined);
  const indexOf = new Map<DocumentJob, number>();
  const tempDir = await makeTempDir();
  const runner = new Runner(opts, { readable: inputs.map((input) => resolve(input)), workParent: tempDir });
  const failed = (index: number, error: unknown): void => {
    const input = resolve(inputs[index]!); // one form in the report: absolute, as the written documents' (checkInput)
    const e = asOutputError(error) as PdfRasterError;
    entries[index] = { input, output: null, error: { code: e.code, message: e.message } };
    opts.onProgress?.({ type: "document-failed", input, error: { code: e.code, message: e.message } });
  };
  async function* jobs(): AsyncIterable<DocumentJob> {
    let nextTaskId = 0;
    for (const [index, input] of inputs.entries()) {
      if (opts.signal?.aborted) return;
      const documentStarted = performance.now();
      let job: DocumentJob;
      try {
        const path = await checkInput(input);
        const target = { kind: "pdf", path: outputs[index]! } as const;
        await checkOutput(target.path, target.path, path);
        job = await prepareDocument(path, path, target, opts, tempDir, runner, documentStarted, nextTaskId);
      } catch (error) {
        if (!isDocumentError(error)) throw error;
        failed(index, error);
        continue;
      }
      nextTaskId = job.plan.nextTaskId;
      indexOf.set(job, index);
      yield job;
    }
  }
  try {
    runner.prestart(opts.workers); // workers start while the first document is planned
    for (const outcome of await runner.run(jobs(), opts.workers, false)) {
      const index = indexOf.get(outcome.job)!;
      if (outcome.error === undefined) entries[index] = outcome.report!;
      else if (isDocumentError(outcome.error)) failed(index, outcome.error);
      else throw outcome.error;
    }
  } finally {
    await runner.close();
    await rm(tempDir, { recursive: true, force: true }).catch(() => {});
  }
  const documents = entries.filter((entry) => entry !== undefined);
  const reports = documents.filter((entry): entry is RasterizeReport => !("error" in entry));
  return {
    documents,
    succeeded: reports.filter((report) => report.output !== null).length,
    failed: documents.length - reports.length,
    failedPages: reports.reduce((sum, report) => sum + report.failed.length, 0),
    durationMs: Math.round(performance.now() - started),
    workers: opts.workers,
    ...(sandbox ? { sandbox } : {}),
  };
}

/** `<dir>/<stem>.pdf` for each input; two inputs with the same stem would overwrite each other. */
function batchOutputs(inputs: readonly string[], dir: string): string[] {
  const seen = new Map<string, string>();
  return inputs.map((input) => {
    const output = join(dir, `${inputStem(input)}.pdf`);
    const other = seen.get(output);
    if (other !== undefined) throw new UsageError(`${other} and ${input} would both be written to ${output}: rename one of them`);
    seen.set(output, input);
    return output;
  });
}

/** Checks what the output needs, plans the document and opens its sink: a job ready to run. */
export async function prepareDocument(
  source: string | Uint8Array,
  inputPath: string | null,
  target: OutputTarget,
  opts: NormalizedOptions,
  tempDir: string,
  runner: Runner,
  started: number,
  firstTaskId: TaskIds,
  settings: {
    /** Once the page count is known, start workers for it and have them open the document (one-document runs). */
    prestart?: boolean;
    /** More pages selected than this: a LimitError before any is planned (a service's limit). @default no limit */
    maxPages?: number;
    /** Stops the planning (the service's job signal; the CLI's is `opts.signal`). */
    signal?: AbortSignal;
  } = {},
): Promise<DocumentJob> {
  let path: string;
  if (typeof source === "string") {
    path = source;
  } else {
    path = join(tempDir, `input-${typeof firstTaskId === "number" ? firstTaskId : "upload"}.pdf`);
    await writeFile(path, source);
  }
  // A TIFF is rendered as image files are (whole sheets, bands joined by the master), then gathered into one file.
  const images = target.kind === "images" || target.kind === "tiff";
  const planOpts = target.kind === "images" ? imageOptions(opts, target.pattern?.format) : target.kind === "tiff" ? imageOptions(opts, "tiff") : pdfOptions(opts);
  if (images && (opts.keepText || opts.keepOutline || opts.keepLinks || opts.keepMetadata)) {
    throw new UsageError("The keep options (text, outline, links, metadata) are for PDF output, not image files");
  }
  if (images && opts.pdfa) throw new UsageError(PDFA_IS_FOR_PDF);
  const planStarted = performance.now();
  const { prestart = false, maxPages = Infinity } = settings;
  const onOpen = (engine: EngineName, selected: number): void => {
    if (selected > maxPages) throw new LimitError(`The document selects ${selected} pages; this service renders at most ${maxPages} per document`, "ERR_TOO_MANY_PAGES");
    if (target.kind === "images" && target.pattern?.single && selected !== 1) throw notOnePage(target.display, selected);
    // More workers for more pages; none let go yet: a page may still turn out to be bands (the plan trims to its tasks).
    if (prestart) runner.prestart(Math.min(opts.workers, Math.max(selected, EARLY_WORKERS)), { source: path, password: opts.password, engine, maxImagePixels: planOpts.maxPixels });
  };
  const plan = await planDocument(path, inputPath ?? "the input", planOpts, { tempDir, firstTaskId, images, onOpen, concurrency: runner.concurrency, signal: settings.signal ?? opts.signal });
  const planMs = performance.now() - planStarted;
  if (target.kind === "images") {
    const seen = new Set<number>();
    for (const { pageNumber } of plan.pages) {
      if (seen.has(pageNumber)) {
        throw new UsageError(`\`pages\` selects page ${pageNumber} more than once: in image output each page is one file`);
      }
      seen.add(pageNumber);
    }
  }
  const display = target.kind === "pdf" || target.kind === "tiff" ? target.path : target.kind === "stream" ? "-" : target.display;
  const emit = (event: ProgressEvent): void => opts.onProgress?.(event);
  const job = new DocumentJob({ input: inputPath, output: display, plan, opts: planOpts, emit, onCancel: runner.cancel, dropTasks: runner.drop, started, planMs });
  const layouts = plan.pages.map((page) => page.layout);
  if (target.kind === "images") {
    job.attach(await ImageSink.create(target, inputStem(inputPath), plan.pages, plan.pageCount, planOpts, job.onBadImage));
  } else if (target.kind === "tiff") {
    job.attach(await TiffSink.create(target.path, tempDir, layouts, planOpts, job.onBadImage, job.onWriteError));
  } else {
    const destination = target.kind === "pdf" ? { path: target.path } : { stream: target.stream };
    const keeper = Keeper.create(plan, planOpts);
    job.attach(await PdfSink.create(destination, tempDir, layouts, planOpts, job.onBadImage, keeper, job.onWriteError));
  }
  return job;
}

/** PDF output: `format` tiff is for TIFF files. */
function pdfOptions(opts: NormalizedOptions): NormalizedOptions {
  if (opts.tiff) throw new UsageError("`format` tiff writes TIFF files: give an output ending in .tif or .tiff, a %d pattern or a folder");
  return opts;
}

/**
 * Image output: a pattern's extension sets the format, and must agree with an explicit one. A
 * TIFF (by its extension) takes `format` as its pages' compression: lossless unless told otherwise.
 */
function imageOptions(opts: NormalizedOptions, patternFormat: FileFormat | undefined): NormalizedOptions {
  if (patternFormat === undefined) return opts;
  if (patternFormat === "tiff") return { ...opts, tiff: true, format: opts.formatGiven ? opts.format : "png" };
  if (opts.tiff) throw new UsageError(`The output pattern's extension asks for ${patternFormat}, but \`format\` is tiff: use one or the other`);
  if (opts.formatGiven && opts.format !== patternFormat) {
    throw new UsageError(`The output's extension asks for ${patternFormat}, but \`format\` is ${opts.format}: use one or the other`);
  }
  if (opts.color === "mono" && patternFormat === "jpeg") {
    throw new UsageError("`color` mono is written as 1-bit PNG: give the output a .png extension");
  }
  return { ...opts, format: patternFormat };
}

/** One job as the source of a Runner's run (one document). */
export async function* only(job: DocumentJob): AsyncIterable<DocumentJob> {
  yield job;
}

async function makeTempDir(): Promise<string> {
  sweepInBackground(tmpdir());
  try {
    return await createTempDir(tmpdir(), TEMP_PREFIX);
  } catch (error) {
    throw new OutputError(`Cannot create a temp directory in ${tmpdir()}: ${describeError(error)}`, { cause: error });
  }
}

/** Errors that concern one document of a batch (the others go on); anything else stops the batch. */
function isDocumentError(error: unknown): boolean {
  if (isDiskError(error)) return true;
  return error instanceof PdfRasterError && !(error instanceof AbortError) && !(error instanceof PoolError);
}

function asOutputError(error: unknown): unknown {
  if (isDiskError(error)) {
    return new OutputError(`Cannot write the output or its temp files: ${describeError(error)}`, { cause: error });
  }
  return error;
}

async function checkInput(input: string): Promise<string> {
  const path = resolve(input);
  let info;
  try {
    info = await stat(path);
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : describeError(error);
    throw new InputError(`Cannot read ${input}: ${why}`, { cause: error });
  }
  if (info.isDirectory()) throw new InputError(`${input} is a directory, not a PDF file`);
  if (!info.isFile()) throw new InputError(`${input} is not a regular file`);
  if (info.size === 0) throw new InputError(`${input} is empty (0 bytes)`);
  return path;
}

async function checkOutput(path: string, output: string, inputPath: string | null): Promise<void> {
  // Named as the user gave it: the error from creating the hidden partial file would name that instead.
  const folder = dirname(output) === "." ? "." : dirname(output);
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent) throw new OutputError(`Cannot write ${output}: the folder ${folder} does not exist`);
  if (!parent.isDirectory()) throw new OutputError(`Cannot write ${output}: ${folder} is not a folder`);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new OutputError(`Cannot write ${output}: it is a directory`);
  if (inputPath !== null && existing) {
    const inputInfo = await stat(inputPath);
    if (
      (existing.ino === inputInfo.ino && existing.dev === inputInfo.dev) ||
      (await realpath(path)) === (await realpath(inputPath))
    ) {
      throw new UsageError(`The output ${output} is the input file: choose another output path`);
    }
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
