import type { EngineName } from "./worker/engine.js";

/** A page that could not be rendered, after its retry. */
export interface PageFailure {
  /** 1-based page number in the input. */
  page: number;
  reason: string;
}

/** Where the time of the run went, summed over all pages, in milliseconds. */
export interface StageTimings {
  /** Opening the document in the master and planning the pages. */
  plan: number;
  /** Starting worker processes until they were ready. */
  workerStart: number;
  /** pdf.js: parsing the page and its resources. */
  load: number;
  /** pdf.js: drawing the page onto the canvas. */
  draw: number;
  /** Reading the pixels back from the canvas (pays for deferred drawing). */
  readback: number;
  /** sharp: encoding the page image. */
  encode: number;
  /** Writing the page image to the temp directory. */
  write: number;
  /** Master-side time from sending a task to its result, minus the worker's own time: IPC and queueing in the child. */
  ipc: number;
  /** Reading page images and appending them to the output PDF. */
  assemble: number;
}

/** The result of a run; `--json` prints exactly this object. */
export interface RasterizeReport {
  /** The input path, or null when the input was given as bytes. */
  input: string | null;
  /** The output path, or null when nothing was written. */
  output: string | null;
  /** Page count of the input document. */
  pages: number;
  /** Pages selected for rendering (all pages unless `pages` was given). */
  selected: number;
  /** Pages rendered successfully. */
  rendered: number;
  /** Pages that failed after their retry, in page order. */
  failed: PageFailure[];
  /** Pages in the output PDF (rendered plus blank stand-ins). */
  outputPages: number;
  /** Size of the output file in bytes (0 when nothing was written). */
  outputBytes: number;
  durationMs: number;
  workers: number;
  dpi: number;
  /** The paper size as given (`original`, `A4`, `210x297mm`, ...). */
  size: string;
  format: string;
  /** Pages whose worker crashed or timed out and that were retried (whether or not the retry worked). */
  retried: number[];
  /** The engine that rendered the pages: `engine`, or the fallback engine when only it could open the document. */
  engine: EngineName;
  /** The engine that retries a page which failed on `engine`, or null. */
  fallbackEngine: EngineName | null;
  /** Pages rendered by `fallbackEngine` (1-based, in page order); every other rendered page was rendered by `engine`. */
  fallbackPages: number[];
  timings: StageTimings;
}

/** Events passed to `onProgress` (and printed by `--progress json`). */
export type ProgressEvent =
  | { type: "document-open"; input: string | null; pages: number; selected: number; workers: number }
  | { type: "page-done"; page: number; done: number; total: number; ms: number; bytes: number; worker: number; engine: EngineName }
  | { type: "page-failed"; page: number; reason: string; willRetry: boolean; done: number; total: number }
  | { type: "document-done"; report: RasterizeReport };
