import type { SandboxInfo } from "./sandbox/index.js";
import type { EngineName } from "./engines/registry.js";

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

/** How one page was stored in the output. */
export interface PageEncoding {
  /** 1-based page number in the input. */
  page: number;
  /** With `format: "auto"`: what the classifier chose (`mono`, `gray4`, `gray-smallest`, `rgb-jpeg`, `rgb-smallest`). */
  encoding?: string;
  /**
   * How the page image is stored: `jpeg`, `png`, `g4` (CCITT Group 4), `jbig2` (1-bit, against the
   * document's symbol dictionary), `layers` (flat-colour JBIG2 masks) or `mixed` (layers over JPEG
   * photographs); bands stored differently are joined by `+`.
   */
  format: string;
  /**
   * Bytes of the page image in the output. JBIG2, layers and mixed: the page coded with its own symbols, an
   * upper bound (the document's dictionary stores a glyph once for all pages, so the output is smaller).
   */
  bytes: number;
}

/** `keepText`: what the output's text layer holds. */
export interface TextStats {
  /** Text runs written into the output's text layer. */
  kept: number;
  /** Runs left out as hidden (no ink under them in the page's render, or under 1 pt): 0 with `keepText: "all"`. */
  hidden: number;
  /** Pages with more text than is read (50,000 runs or 1,000,000 characters): their text layer holds the beginning. */
  truncatedPages: number[];
}

/** The result of a run; `--json` prints exactly this object. */
export interface RasterizeReport {
  /** The input path, or null when the input was given as bytes. */
  input: string | null;
  /**
   * The output path (a PDF, or the folder or pattern of image output), `-` when the PDF went to a
   * stream, or null when nothing was written.
   */
  output: string | null;
  /** Page count of the input document. */
  pages: number;
  /** Pages selected for rendering (all pages unless `pages` was given). */
  selected: number;
  /** Pages rendered successfully. */
  rendered: number;
  /** Pages that failed after their retry, in page order. */
  failed: PageFailure[];
  /** Pages in the output PDF, or image files written (rendered plus blank stand-ins). */
  outputPages: number;
  /** Size of the output in bytes, all image files together in image output (0 when nothing was written). */
  outputBytes: number;
  /** Size of the input file in bytes. */
  inputBytes: number;
  /** Every page written from a render (not blank stand-ins), in output order: how it was stored and its bytes. */
  pageEncodings: PageEncoding[];
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
  /** With `keepText`: the text layer written (absent without it, and when nothing was written). */
  text?: TextStats;
  /** What the worker processes ran in (docs/security.md); absent in cluster mode, where each worker host says (`cluster status`). */
  sandbox?: SandboxInfo;
}

/** A document of a batch that could not be rasterized at all (unreadable, not a PDF, wrong password, output not writable). */
export interface DocumentFailure {
  input: string;
  output: null;
  error: {
    /** The error's code: `ERR_INPUT`, `ERR_PASSWORD`, `ERR_OUTPUT`, `ERR_USAGE`. */
    code: string;
    message: string;
  };
}

/** The result of {@link rasterizeBatch}: one entry per input, in input order; `--json` prints this object. */
export interface BatchReport {
  documents: Array<RasterizeReport | DocumentFailure>;
  /** Documents written (possibly with failed pages). */
  succeeded: number;
  /** Documents that could not be rasterized at all. */
  failed: number;
  /** Pages that failed, over all documents. */
  failedPages: number;
  durationMs: number;
  workers: number;
  /** What the worker processes ran in; absent in cluster mode. */
  sandbox?: SandboxInfo;
}

/**
 * Events passed to `onProgress` and printed by `--progress json`, one per line. `input` names the
 * document (null when it was given as bytes), so that the events of a batch can be told apart.
 */
export type ProgressEvent =
  | { type: "document-open"; input: string | null; output: string | null; pages: number; selected: number; workers: number }
  | {
      type: "page-done";
      input: string | null;
      page: number;
      done: number;
      total: number;
      ms: number;
      /** The page image's bytes in the output (see {@link PageEncoding.bytes}). */
      bytes: number;
      /** Process id of the worker that rendered the page: a local worker process, or in cluster mode the `pdfraster worker` process on `host`. */
      worker: number;
      /** Cluster mode: the host name of the `pdfraster worker` that rendered the page. */
      host?: string;
      /** The engine that rendered the page. */
      engine: EngineName;
      /** With `format: "auto"`: what was chosen (`mono`, `gray4`, `gray-smallest`, `rgb-jpeg`, `rgb-smallest`). */
      encoding?: string;
      /** How the page image is stored (see {@link PageEncoding.format}). */
      format: string;
      /** A page rendered in bands: each band, top to bottom: the worker's pid and its time on the band (render, encode, write), ms. */
      bands?: Array<{ worker: number; ms: number }>;
    }
  | { type: "page-failed"; input: string | null; page: number; reason: string; willRetry: boolean; done: number; total: number }
  | { type: "document-done"; input: string | null; report: RasterizeReport }
  | { type: "document-failed"; input: string; error: DocumentFailure["error"] }
  /**
   * Cluster mode: no `pdfraster worker` has been registered on the queue for `waitedMs`; the pages
   * wait for one. `redis`: its URL, password masked (absent in the service's events).
   */
  | { type: "no-workers"; queue: string; redis?: string; waitedMs: number };
