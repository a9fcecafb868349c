import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LimitError, UsageError } from "../errors.js";
import { DocumentJob, type JobControl, type SinkEvents } from "../job.js";
import { Keeper } from "../keep/keeper.js";
import { PDF_FORMAT, PDFA_IS_FOR_PDF, type NormalizedOptions } from "../options.js";
import { ImageSink } from "../output/images.js";
import { PdfSink } from "../output/pdf.js";
import type { PageSink } from "../output/sink.js";
import { inputStem, notOnePage, type OutputTarget } from "../output/target.js";
import { TiffSink } from "../output/tiff.js";
import { planDocument, type Plan } from "../plan.js";
import type { PrepareHint } from "../pool/messages.js";
import type { ProgressEvent } from "../report.js";
import type { EngineName } from "../engines/registry.js";
import type { FileFormat } from "../worker/encode.js";

/** One document to rasterize: what it is, where it goes, and how. */
export interface DocumentSpec {
  /** The PDF: a path, or bytes (written into `tempDir` first, where the workers read them). */
  source: string | Uint8Array;
  /** The input's path as the report gives it; null for bytes. */
  inputPath: string | null;
  target: OutputTarget;
  /** This document's options (a service's requests differ; the workers' own settings are the scheduler's). */
  options: NormalizedOptions;
  /** Where the document's page images (and its input given as bytes) go. */
  tempDir: string;
  /** performance.now() when work on the document began (its report's durationMs counts from there). @default now */
  started?: number;
  /** More pages selected than this: a LimitError before any is planned (a service's limit). @default no limit */
  maxPages?: number;
}

/** What opening a document needs from the scheduler that will run it. */
export interface OpenContext {
  /** Reserves `count` consecutive task ids, returning the first. */
  reserveTaskIds(count: number): number;
  /** Pages rendered at once (the planner rounds band counts to it). */
  concurrency: number;
  /** The document is open and its pages selected: workers may get ready for it. */
  onOpen(selected: number, hint: PrepareHint): void;
  /** How the job gives up on its pages (see {@link JobControl}). */
  control: JobControl;
  /** Stops the planning. */
  signal: AbortSignal | undefined;
  /** A name for bytes given as input, unique in `tempDir`. */
  uploadName: string;
}

/** Checks what the output needs, plans the document and opens its output: a job ready to run. */
export async function openDocument(spec: DocumentSpec, context: OpenContext): Promise<DocumentJob> {
  const { target, options: opts, tempDir, inputPath } = spec;
  const started = spec.started ?? performance.now();
  const path = typeof spec.source === "string" ? spec.source : join(tempDir, context.uploadName);
  if (typeof spec.source !== "string") await writeFile(path, spec.source);
  // A TIFF is rendered as image files are (whole sheets, bands joined by the master), then gathered into one file.
  const images = target.kind === "images" || target.kind === "tiff";
  const planOpts = target.kind === "images" ? imageOptions(opts, target.pattern?.format) : target.kind === "tiff" ? imageOptions(opts, "tiff") : pdfOptions(opts);
  if (images && (opts.keepText || opts.keepOutline || opts.keepLinks || opts.keepMetadata)) {
    throw new UsageError("The keep options (text, outline, links, metadata) are for PDF output, not image files");
  }
  if (images && opts.pdfa) throw new UsageError(PDFA_IS_FOR_PDF);
  const planStarted = performance.now();
  const maxPages = spec.maxPages ?? Infinity;
  const onOpen = (engine: EngineName, selected: number): void => {
    if (selected > maxPages) throw new LimitError(`The document selects ${selected} pages; this service renders at most ${maxPages} per document`, "ERR_TOO_MANY_PAGES");
    if (target.kind === "images" && target.pattern?.single && selected !== 1) throw notOnePage(target.display, selected);
    context.onOpen(selected, { source: path, password: opts.password, engine, maxImagePixels: planOpts.maxPixels });
  };
  const plan = await planDocument(path, inputPath ?? "the input", planOpts, {
    tempDir,
    firstTaskId: (count) => context.reserveTaskIds(count),
    images,
    onOpen,
    concurrency: context.concurrency,
    signal: context.signal,
  });
  const planMs = performance.now() - planStarted;
  if (target.kind === "images") refuseRepeatedPages(plan);
  const display = target.kind === "pdf" || target.kind === "tiff" ? target.path : target.kind === "stream" ? "-" : target.display;
  const emit = (event: ProgressEvent): void => opts.onProgress?.(event);
  return await DocumentJob.open(
    { input: inputPath, output: display, plan, opts: planOpts, emit, control: context.control, started, planMs },
    (events) => openSink(target, plan, planOpts, tempDir, inputPath, events),
  );
}

/** Where the pages go: image files, a TIFF, or a PDF (a file or a stream, with what the keep options keep). */
async function openSink(target: OutputTarget, plan: Plan, opts: NormalizedOptions, tempDir: string, inputPath: string | null, events: SinkEvents): Promise<PageSink> {
  const layouts = plan.pages.map((page) => page.layout);
  if (target.kind === "images") return await ImageSink.create(target, inputStem(inputPath), plan.pages, plan.pageCount, opts, events.onBadImage);
  if (target.kind === "tiff") return await TiffSink.create(target.path, tempDir, layouts, opts, events.onBadImage, events.onWriteError);
  const destination = target.kind === "pdf" ? { path: target.path } : { stream: target.stream };
  return await PdfSink.create(destination, tempDir, layouts, opts, events.onBadImage, Keeper.create(plan, opts), events.onWriteError);
}

/** In image output each page is one file. */
function refuseRepeatedPages(plan: Plan): void {
  const seen = new Set<number>();
  for (const { pageNumber } of plan.pages) {
    if (seen.has(pageNumber)) throw new UsageError(`\`pages\` selects page ${pageNumber} more than once: in image output each page is one file`);
    seen.add(pageNumber);
  }
}

/** PDF output: `format` tiff is for TIFF files; without `format`, {@link PDF_FORMAT}. */
function pdfOptions(opts: NormalizedOptions): NormalizedOptions {
  if (opts.tiff) throw new UsageError("`format` tiff writes TIFF files: give an output ending in .tif or .tiff, a %d pattern or a folder");
  return opts.formatGiven ? opts : { ...opts, format: PDF_FORMAT };
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
    throw new UsageError("`color` mono is stored 1-bit and lossless, never JPEG: give the output a .png extension");
  }
  return { ...opts, format: patternFormat };
}
