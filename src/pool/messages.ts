/** Typed messages between the master and a worker process. Only plain data crosses; pixels never do. */

import type { ColorMode, ImageFormat } from "../options.js";
import type { AutoEncoding } from "../worker/classify.js";
import type { FileSettings, PageFileFormat } from "../worker/encode.js";
import type { RenderRequest } from "../engines/engine.js";
import type { KeepTextMode } from "../keep/types.js";
import { isEngineName, type EngineName } from "../engines/registry.js";

/**
 * Everything one worker needs to render one page into a file: the engine's render request (page,
 * raster size, the page-to-pixel transform of `paper.ts` PageLayout, background) and the rest.
 */
export interface PageTask extends RenderRequest {
  /** Unique per run; results are matched by it. */
  id: number;
  /** The PDF file to open (the worker keeps it open across tasks). */
  source: string;
  password: string | undefined;
  /** The renderer to use for this attempt (a retry may name the fallback engine). */
  engine: EngineName;
  format: ImageFormat;
  quality: number;
  color: ColorMode;
  threshold: number;
  /** Pixels per inch of the page content (for `auto`: 1-bit only at print resolution). */
  ppi: number;
  /** Image output: pixels of `background` around the raster, making it the whole sheet. */
  pad?: { top: number; right: number; bottom: number; left: number };
  /** Image output: the resolution written into the file, and whether it is a TIFF. */
  file?: FileSettings;
  /** Where to write the encoded image. */
  outPath: string;
  /** The image goes into a PDF (absent: an image file): 1-bit images may then be coded with CCITT G4. */
  pdf?: boolean;
  /**
   * Most pixels of one image in the page (pdf.js's `maxImageSize`, from --max-pixels): pdf.js leaves a
   * bigger one out, and the page then fails (engines/pdfjs/dropped-images.ts) instead of coming out blank.
   */
  maxImagePixels?: number;
  /**
   * For the keep options: what to extract from the page and where to write it as JSON (see
   * keep/types.ts PageExtract). `text`: which runs (`visible`: those that left ink in the render,
   * keep/visibility.ts). `check`: the text is judged on the whole page rendered this way, not on
   * the task's own raster (a band shows only its rows; a page under 96 ppi is a blur: keep/visibility.ts textCheckScale).
   */
  extract?: { text: false | KeepTextMode; links: boolean; path: string; check?: RasterPlacement };
  /**
   * One band of a banded page (absent: the whole page): `top` is its first row in the page's raster
   * (the request's height and offsetY are the band's already). `joined`: image output, where the
   * master joins the bands into one file and encodes it: the band is written losslessly.
   */
  band?: { index: number; count: number; top: number; joined: boolean };
  /**
   * `auto` on a banded page: the whole page rendered this small and measured decides the encoding,
   * so that every band of the page (each rendering the same probe) chooses the same one.
   */
  probe?: RasterPlacement;
}

/** A raster's size and where the page is drawn on it. */
export type RasterPlacement = Pick<RenderRequest, "width" | "height" | "scaleX" | "scaleY" | "offsetX" | "offsetY">;

/** What a worker sends back for a rendered page. */
export interface PageResult {
  id: number;
  /** The engine that rendered the page. */
  engine: EngineName;
  path: string;
  /** Size of the file at `path`. */
  bytes: number;
  /** Bytes the image is expected to take in the output (JBIG2: coded on its own, an upper bound; otherwise `bytes`). */
  outputBytes: number;
  format: PageFileFormat;
  /** Pixel size of the written image (the raster plus any `pad`). */
  width: number;
  height: number;
  components: 1 | 3;
  bitsPerComponent: 1 | 4 | 8;
  /** What `auto` chose for this page. */
  encoding?: AutoEncoding;
  /** The JSON sidecar written for `task.extract`. */
  extractPath?: string;
  timings: { load: number; draw: number; readback: number; encode: number; write: number; total: number };
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Node's error code (ENOSPC, EACCES, ...), when there is one. */
  code?: string;
}

/**
 * The document the coming tasks will name, sent to workers started before the plan is done, so
 * that they open it while the master plans (the worker's open is then free for its first page).
 */
export interface PrepareHint {
  source: string;
  password?: string;
  engine: EngineName;
  /** As the tasks will carry it (the worker opens the document with it). */
  maxImagePixels?: number;
}

export type MasterMessage = { type: "task"; task: PageTask } | { type: "prepare"; hint: PrepareHint } | { type: "shutdown" };

export type WorkerMessage =
  | { type: "ready"; pid: number }
  | { type: "done"; result: PageResult }
  | { type: "failed"; id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(error) };
}

/** A plain object (not null, not an array): the first check of every message received, here and in cluster/messages.ts. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks a message received from a worker; anything else is a bug and is rejected. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!isObject(value)) return false;
  switch (value.type) {
    case "ready":
      return typeof value.pid === "number";
    case "done":
      return isObject(value.result) && typeof value.result.id === "number" && typeof value.result.path === "string";
    case "failed":
      return (
        typeof value.id === "number" &&
        isObject(value.error) &&
        typeof value.error.message === "string" &&
        (value.error.code === undefined || typeof value.error.code === "string")
      );
    default:
      return false;
  }
}

/** Checks a message received from the master. */
export function isMasterMessage(value: unknown): value is MasterMessage {
  if (!isObject(value)) return false;
  if (value.type === "shutdown") return true;
  if (value.type === "prepare") return isObject(value.hint) && typeof value.hint.source === "string" && isEngineName(value.hint.engine);
  return value.type === "task" && isObject(value.task) && typeof value.task.id === "number";
}
