import { availableParallelism } from "node:os";
import { UsageError } from "./errors.js";
import { PAPER_NAMES, parseMargins, parseSize, type Fit, type Margins, type Orientation, type SizeSpec } from "./paper.js";
import type { ProgressEvent } from "./report.js";
import { checkQueueName, checkRedisUrl, checkStoreUrl, type ClusterSettings } from "./cluster/connection.js";
import { engineAvailable, engineUnavailable, ENGINE_NAMES, type EngineName } from "./engines/registry.js";
import { PAGE_BOXES, type PageBox } from "./engines/engine.js";
import { DEFAULT_BAND_PIXELS } from "./bands/split.js";
import { checkKeys } from "./option-keys.js";
import { API_NAMES, type Naming, type OptionSpec } from "./option-table.js";
import { PDFA_LEVELS, type PdfaLevel } from "./pdf/pdfa.js";
import { SANDBOX_MODES, type SandboxMode } from "./sandbox/index.js";
import { KEEP_TEXT_MODES, type KeepTextMode } from "./keep/types.js";

/** Page image format; `auto` picks per page (1-bit, 16-level gray or RGB PNG, or JPEG) by what the page holds. */
export type ImageFormat = "jpeg" | "png" | "auto";
export type ColorMode = "rgb" | "gray" | "mono";
export type OnError = "abort" | "blank" | "skip";
export { PAGE_BOXES, PDFA_LEVELS, type PdfaLevel };

/** Options of {@link rasterize}; every one is optional. */
export interface RasterizeOptions {
  /** Raster resolution in dots per inch. @default 300 */
  dpi?: number;
  /**
   * Output paper: `original` (each page keeps its size), a name (A0-A10, B0-B10, Letter, Legal,
   * Tabloid, Ledger, Executive; case-insensitive) or a custom `WxH<unit>` such as `210x297mm`.
   * @default "original"
   */
  size?: string;
  /** How a page meets the paper: fit inside, cover and crop, stretch, or 100% scale. @default "contain" */
  fit?: Fit;
  /** Paper orientation; `auto` follows each page. @default "auto" */
  orientation?: Orientation;
  /** Margin: one length or `top,right,bottom,left`, with units mm/cm/in/pt. @default "0" */
  margin?: string;
  /**
   * Paper colour behind and around the page: a name (white, black, gray) or `#rrggbb`. It also shows
   * through the page's own transparent areas (a page with no white fill of its own takes this colour).
   * @default "white"
   */
  background?: string;
  /** 1-based page selection such as `1-3,7,10-`; order and repeats are kept. @default all pages */
  pages?: string;
  /** Worker processes. @default the number of CPU cores */
  workers?: number;
  /**
   * Page image format: `jpeg`, `png` (lossless), or `auto`: per page, 1-bit (at 300 DPI and more) or
   * 16-level gray PNG for gray text and line art, JPEG for photographic content, and the smaller of
   * PNG and JPEG for colour line art. `tiff`: TIFF files, lossless (Deflate; CCITT Group 4 for
   * 1-bit); with a TIFF output (`out.tiff`, `page-%03d.tif`) the others set its pages' compression
   * (`jpeg`: JPEG-in-TIFF). With an image output pattern, its extension sets the format.
   * @default "auto" for a PDF, "jpeg" for image files (a TIFF output: lossless)
   */
  format?: ImageFormat | "tiff";
  /** JPEG quality, 1-100. @default 85 */
  quality?: number;
  /**
   * Colour of the page images; `mono` is 1-bit, always PNG (an explicit `format: "jpeg"` with it is refused).
   * With `format: "auto"` it is the most colour allowed. @default "rgb"
   */
  color?: ColorMode;
  /**
   * Gray level (0-255) at or above which a 1-bit pixel (`mono`, and `auto`'s 1-bit pages) turns white.
   * Above the middle on purpose: a thin stroke of anti-aliased text straddling two pixel rows leaves
   * each about half covered (gray ~130), and at 128 both rows went white (the crossbar of `e` lost:
   * "typed" stored as "typcd"). At 176 a pixel a third covered is ink. @default 176
   */
  threshold?: number;
  /** Password of an encrypted PDF. */
  password?: string;
  /** What to do with a page that fails twice: write no output, a blank page, or leave it out. @default "abort" */
  onError?: OnError;
  /**
   * Which page box is rasterized and fitted to the paper: `media`, `crop` (what viewers show),
   * `bleed`, `trim` (the finished page: bleed and crop marks cut away) or `art`. A box a page lacks
   * falls back as the PDF specification says: bleed, trim and art to the CropBox, the CropBox to the
   * MediaBox. @default "crop"
   */
  box?: PageBox;
  /**
   * A page whose raster would have more pixels than this fails at once: the guard against absurd
   * requests (time, temp space and output size). 2^30 covers a B0 page at 600 DPI. @default 1073741824 (2^30)
   */
  maxPixels?: number;
  /**
   * Tuning: a page whose raster has more pixels than this is rendered in horizontal bands of at most
   * this many pixels (at least 16 rows), each its own task, so that one huge page renders on every
   * worker at once and a worker holds one band's pixels only. @default 67108864 (2^26)
   */
  bandPixels?: number;
  /** Seconds one page may take before its worker is killed and the page retried. @default 120 */
  pageTimeout?: number;
  /** Worker processes are replaced after rendering this many pages, a safety net for their memory. @default 1000 */
  maxPagesPerWorker?: number;
  /**
   * Megabytes of resident memory a worker process may use: one over it is killed and its page fails
   * ("exceeded the worker memory cap"), or is retried on the fallback engine. 0: no cap. @default 2048
   */
  maxWorkerMemory?: number;
  /**
   * How worker processes are confined (docs/security.md): `auto`, the strongest this machine has
   * (bubblewrap and Node's permission model on Linux, the permission model alone elsewhere);
   * `strict`, refuse to run without the OS sandbox (exit 4); `off`, none. @default "auto"
   */
  sandbox?: SandboxMode;
  /**
   * The renderer: `pdfjs` (pdf.js, bundled), `pdfium` (PDFium in WebAssembly, bundled, BSD-3: the
   * fast permissive one) or `mupdf` (MuPDF.js, fastest; needs the optional `mupdf` package, which is
   * AGPL-3.0: `npm install mupdf`). @default "pdfjs"
   */
  engine?: EngineName;
  /**
   * A page that fails on `engine` (error, crash or timeout) is retried on this engine before it
   * counts as failed. Must differ from `engine`. @default none: the retry uses `engine` again
   */
  fallbackEngine?: EngineName;
  /**
   * Add an invisible, searchable and selectable text layer built from each page's original text,
   * laid over the page image where the text was. `true` (or `"visible"`) keeps only text that is
   * visible where it stands: a run that left no ink in the page's render (white on white, covered,
   * clipped, invisible over nothing, in a hidden layer, under 1 pt) is dropped and counted in the
   * report's `text.hidden`. `"all"` keeps every run, hidden or not (docs/outputs.md).
   * @default false
   */
  keepText?: boolean | KeepTextMode;
  /** Keep the bookmarks, pointing at the output pages (a repeated page: its first copy). @default false */
  keepOutline?: boolean;
  /** Keep link annotations: web links, and links to pages that are in the output. @default false */
  keepLinks?: boolean;
  /** Keep the Title, Author, Subject, Keywords and creation date of the document information. @default false */
  keepMetadata?: boolean;
  /**
   * Write the PDF as PDF/A of this part, basic conformance: `1b` (ISO 19005-1, the most widely
   * accepted), `2b` or `3b`. Adds an sRGB output intent and XMP metadata; PDF output only
   * (see docs/outputs.md). @default none: plain PDF
   */
  pdfa?: PdfaLevel;
  /**
   * Cluster mode: render the pages on the `pdfraster worker` processes that serve this Redis
   * (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS). Same output and report as a local run.
   * @default none: render locally
   */
  redis?: string;
  /** Cluster mode: the queue's name; separate names keep tenants or environments apart on one Redis. @default "default" */
  queue?: string;
  /** Cluster mode: where inputs and page images travel, `redis` or a shared folder `file:///mnt/shared/pdfraster`. @default "redis" */
  store?: string;
  /**
   * Cluster mode: seconds to wait while no `pdfraster worker` is registered on the queue before the
   * run fails (exit 2, no output). Either way a `no-workers` progress event comes after 3 s of none.
   * @default wait as long as it takes
   */
  waitTimeout?: number;
  /** Called for every progress event (document opened, page done or failed, document done or failed); `--progress json` prints the same. */
  onProgress?: (event: ProgressEvent) => void;
  /** Stops the run: workers are killed, the temp directory removed, no output written. */
  signal?: AbortSignal;
}

/** Options after validation, with every default filled in. */
export interface NormalizedOptions {
  dpi: number;
  size: SizeSpec;
  fit: Fit;
  orientation: Orientation;
  margins: Margins;
  background: [number, number, number];
  pages: string | undefined;
  workers: number;
  format: ImageFormat;
  /** Whether `format` was given (an image output pattern's extension must then agree with it). */
  formatGiven: boolean;
  /** Image files are TIFF (`format` tiff, or a TIFF output), their pages encoded as `format` says. */
  tiff: boolean;
  quality: number;
  color: ColorMode;
  threshold: number;
  password: string | undefined;
  onError: OnError;
  box: PageBox;
  maxPixels: number;
  bandPixels: number;
  pageTimeoutMs: number;
  maxPagesPerWorker: number;
  /** Bytes; 0: no cap. */
  maxWorkerMemoryBytes: number;
  sandbox: SandboxMode;
  engine: EngineName;
  fallbackEngine: EngineName | undefined;
  keepText: false | KeepTextMode;
  keepOutline: boolean;
  keepLinks: boolean;
  keepMetadata: boolean;
  pdfa: PdfaLevel | undefined;
  /** Set in cluster mode (`redis`). */
  cluster: ClusterSettings | undefined;
  /** Cluster mode: fail when no worker is registered for this long (ms); undefined: wait. */
  waitTimeoutMs: number | undefined;
  onProgress: ((event: ProgressEvent) => void) | undefined;
  signal: AbortSignal | undefined;
}

export const DEFAULTS = {
  dpi: 300,
  size: "original",
  fit: "contain",
  orientation: "auto",
  margin: "0",
  background: "white",
  /** Image files; a PDF's pages default to {@link PDF_FORMAT}. */
  format: "jpeg",
  quality: 85,
  color: "rgb",
  /** 1-bit: a pixel at least a third covered is ink, so thin strokes split over two rows survive (RasterizeOptions.threshold). */
  threshold: 176,
  onError: "abort",
  box: "crop",
  maxPixels: 2 ** 30,
  bandPixels: DEFAULT_BAND_PIXELS,
  pageTimeout: 120,
  maxPagesPerWorker: 1000,
  /**
   * Twice what a worker needs at A3 300 DPI (~530 MB) or for a band of the default budget, and far
   * under what a page that runs away takes (a 30,000 x 30,000 image: 5.5 GB in pdf.js).
   */
  maxWorkerMemory: 2048,
  sandbox: "auto",
  engine: "pdfjs",
} as const;

/**
 * A PDF's pages when `format` is not given: per page the smallest encoding that looks the same
 * (docs/small-output.md, "Is `auto` the default?"). Image files keep {@link DEFAULTS}' `jpeg`: a
 * folder of `.png` and `.jpg` pages mixed by content would surprise.
 */
export const PDF_FORMAT = "auto";

/** The settings of a run: every key of {@link RasterizeOptions} but the callbacks. */
export type OptionKey = Exclude<keyof RasterizeOptions, "onProgress" | "signal">;

const FORMAT_HELP = `page images: jpeg, png (lossless), auto (per page the smallest that looks the same: 1-bit JBIG2 or G4, flat-colour layers, JPEG photos), or tiff (lossless TIFF files) (default: auto for a PDF; image files: ${DEFAULTS.format}, a .tif/.tiff output lossless, a pattern its extension)`;
const SANDBOX_HELP = "confine the workers: auto (the strongest here), strict (refuse without the OS sandbox, exit 4) or off";
const REDIS_RUN_HELP = "cluster mode: render on the `pdfraster worker`s of this Redis, redis:// or rediss://";

/**
 * Every option of a run, once (see option-table.ts): the CLI's flags, the service's request fields
 * and its pool flags, and `pdfraster worker`'s flags are made from it. Keyed by API name, so that the
 * compiler checks that no option of {@link RasterizeOptions} is missing; in --help order.
 */
const RUN_SPECS: { [K in OptionKey]: Omit<OptionSpec<K>, "key"> } = {
  dpi: { flag: "dpi", type: "number", arg: "n", default: DEFAULTS.dpi, help: "raster resolution in dots per inch", scopes: ["run", "request"] },
  size: {
    flag: "size", type: "string", arg: "paper", default: DEFAULTS.size,
    help: `paper: original, ${PAPER_NAMES.join(", ")}, or WxH with mm|cm|in|pt`, scopes: ["run", "request"],
  },
  fit: { flag: "fit", type: "choice", arg: "mode", choices: ["contain", "cover", "fill", "none"], default: DEFAULTS.fit, help: "how the page meets the paper", scopes: ["run", "request"] },
  orientation: {
    flag: "orientation", type: "choice", arg: "o", choices: ["auto", "portrait", "landscape"], default: DEFAULTS.orientation,
    help: "paper orientation; auto follows each page", scopes: ["run", "request"],
  },
  margin: { flag: "margin", type: "string", arg: "len", default: DEFAULTS.margin, help: "margin: one length or top,right,bottom,left (mm|cm|in|pt)", scopes: ["run", "request"] },
  background: {
    flag: "background", type: "string", arg: "colour", default: DEFAULTS.background,
    help: "paper colour: a name or #rrggbb; also shows through the page's own transparent areas", scopes: ["run", "request"],
  },
  pages: { flag: "pages", type: "string", arg: "ranges", help: "pages to render, e.g. 1-3,7,10- or last (order and repeats kept) (default: all)", scopes: ["run", "request"] },
  workers: {
    flag: "workers", type: "number", arg: "n",
    help: { run: "worker processes (default: number of CPU cores)", service: "warm worker processes (default: number of CPU cores; not with --redis)" },
    scopes: ["run", "service"],
  },
  format: { flag: "format", type: "choice", arg: "fmt", choices: ["jpeg", "png", "auto", "tiff"], help: FORMAT_HELP, scopes: ["run", "request"] },
  quality: { flag: "quality", type: "number", arg: "1-100", default: DEFAULTS.quality, help: "JPEG quality", scopes: ["run", "request"] },
  color: {
    flag: "color", type: "choice", arg: "mode", choices: ["rgb", "gray", "mono"], default: DEFAULTS.color,
    help: "image colour: rgb, gray, or 1-bit mono (always PNG)", scopes: ["run", "request"],
  },
  threshold: { flag: "threshold", type: "number", arg: "0-255", default: DEFAULTS.threshold, help: "gray level at or above which a mono pixel is white", scopes: ["run", "request"] },
  password: { flag: "password", type: "string", arg: "pw", help: "password of an encrypted PDF (default: none)", scopes: ["run", "request"] },
  onError: {
    flag: "on-error", type: "choice", arg: "mode", choices: ["abort", "blank", "skip"], default: DEFAULTS.onError,
    help: "a page that fails twice: abort (no output), blank page, or skip", scopes: ["run", "request"],
  },
  box: {
    flag: "box", type: "choice", arg: "box", choices: PAGE_BOXES, default: DEFAULTS.box,
    help: "page box to rasterize and fit: media, crop, bleed, trim or art (a missing box falls back as in the PDF spec)", scopes: ["run", "request"],
  },
  maxPixels: {
    flag: "max-pixels", type: "number", arg: "n", default: DEFAULTS.maxPixels,
    help: {
      run: "fail a page whose raster would exceed this many pixels",
      service: "most pixels of one page raster (a request may ask for less)",
      worker: "refuse a page whose raster would exceed this many pixels",
    },
    scopes: ["run", "request", "service", "worker"],
  },
  bandPixels: {
    flag: "band-pixels", type: "number", arg: "n", default: DEFAULTS.bandPixels,
    help: "tuning: a page raster over this many pixels renders in horizontal bands, spread over the workers", scopes: ["run"],
  },
  pageTimeout: {
    flag: "page-timeout", type: "number", arg: "seconds", default: DEFAULTS.pageTimeout,
    help: { run: "kill and retry a page that takes longer", worker: "most a page may take, whatever the submitter asks" },
    scopes: ["run", "service", "worker"],
  },
  maxPagesPerWorker: {
    flag: "max-pages-per-worker", type: "number", arg: "n", default: DEFAULTS.maxPagesPerWorker,
    help: { run: "replace a worker after this many pages", worker: "replace a render process after this many pages" },
    scopes: ["run", "service", "worker"],
  },
  maxWorkerMemory: {
    flag: "max-worker-memory", type: "number", arg: "MB", default: DEFAULTS.maxWorkerMemory,
    help: {
      run: "kill a worker over this resident memory; its page fails (0: no cap)",
      worker: "kill a render process over this resident memory; its page fails (0: no cap)",
    },
    scopes: ["run", "service", "worker"],
  },
  sandbox: {
    flag: "sandbox", type: "choice", arg: "mode", choices: SANDBOX_MODES, default: DEFAULTS.sandbox,
    help: { run: SANDBOX_HELP, worker: SANDBOX_HELP.replace("the workers", "the render processes") },
    scopes: ["run", "service", "worker"],
  },
  engine: {
    flag: "engine", type: "choice", arg: "name", choices: ENGINE_NAMES, default: DEFAULTS.engine,
    help: { run: "renderer: pdfjs, pdfium (faster, BSD-3), or mupdf (fastest; needs `npm install mupdf`, AGPL-3.0)", service: "renderer of every request" },
    scopes: ["run", "service"],
  },
  fallbackEngine: {
    flag: "fallback-engine", type: "choice", arg: "name", choices: ENGINE_NAMES,
    help: { run: "retry a page that fails on --engine with this engine (default: none, retry on --engine)", service: "retry a failed page with this engine (default: none)" },
    scopes: ["run", "service"],
  },
  keepText: {
    flag: "keep-text", type: "boolean", arg: "which", choices: KEEP_TEXT_MODES,
    help: "add an invisible, searchable and selectable text layer from the original text: visible (text that shows in the page's render; hidden text is dropped and counted) or all",
    scopes: ["run", "request"],
  },
  keepOutline: { flag: "keep-outline", type: "boolean", help: "keep the bookmarks, pointing at the output pages", scopes: ["run", "request"] },
  keepLinks: { flag: "keep-links", type: "boolean", help: "keep link annotations: web links and links to pages in the output", scopes: ["run", "request"] },
  keepMetadata: { flag: "keep-metadata", type: "boolean", help: "keep Title, Author, Subject, Keywords and creation date", scopes: ["run", "request"] },
  pdfa: {
    flag: "pdfa", type: "choice", arg: "level", choices: PDFA_LEVELS,
    help: "write PDF/A: 1b, 2b or 3b (sRGB output intent, XMP metadata; see docs/outputs.md) (default: plain PDF)", scopes: ["run", "request"],
  },
  redis: {
    flag: "redis", type: "string", arg: "url",
    help: { run: `${REDIS_RUN_HELP} (default: $PDFRASTER_REDIS, else locally)`, service: `${REDIS_RUN_HELP} (default: $PDFRASTER_REDIS, else local workers)` },
    scopes: ["run", "service"],
  },
  queue: { flag: "queue", type: "string", arg: "name", help: "cluster mode: the queue (tenant) name (default: default)", scopes: ["run", "service"] },
  store: { flag: "store", type: "string", arg: "url", help: "cluster mode: where inputs and page images travel, redis or file:///shared/dir (default: redis)", scopes: ["run", "service"] },
  waitTimeout: {
    flag: "wait-timeout", type: "number", arg: "seconds",
    help: "cluster mode: fail (exit 2) when no `pdfraster worker` is registered for this long (default: wait; a notice after 3 s)", scopes: ["run"],
  },
};

/** The run's options in table form (see option-table.ts). */
export const RUN_OPTIONS: readonly OptionSpec<OptionKey>[] = Object.entries(RUN_SPECS).map(([key, spec]) => ({ key: key as OptionKey, ...spec }));

/** The usage error of `pdfa` with an image output. */
export const PDFA_IS_FOR_PDF = "`pdfa` is for PDF output, not image files";

/** Default worker count: one per core (measured faster than cores - 1: the master is mostly idle). */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

function describe(value: unknown): string {
  return `\`${typeof value === "string" ? value : String(value)}\` (${typeof value})`;
}

function number(name: string, value: unknown, fallback: number, min: number, max: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const kind = integer ? "an integer" : "a number";
    throw new UsageError(`Expected \`${name}\` to be ${kind} from ${min} to ${max}, got ${describe(value)}`, { option: name });
  }
  return n;
}

/** The number check of the options, for other entry points (`pdfraster worker`). */
export { number as checkNumber };

function choice<T extends string>(name: string, value: unknown, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value.toLowerCase())) {
    return value.toLowerCase() as T;
  }
  throw new UsageError(`Expected \`${name}\` to be one of ${allowed.join(", ")}, got ${describe(value)}`, { option: name });
}

/** `maxWorkerMemory` in MB (0: no cap, else at least 64) as bytes; for `pdfraster worker` too. */
export function checkWorkerMemory(value: unknown, name = "maxWorkerMemory"): number {
  const mb = number(name, value, DEFAULTS.maxWorkerMemory, 0, 2 ** 30, true);
  if (mb > 0 && mb < 64) throw new UsageError(`Expected \`${name}\` to be 0 (no cap) or at least 64 (MB), got ${describe(value)}`, { option: name });
  return mb * 2 ** 20;
}

/** `sandbox`: auto, strict or off. */
export function checkSandbox(value: unknown, name = "sandbox"): SandboxMode {
  return choice(name, value, DEFAULTS.sandbox, SANDBOX_MODES);
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new UsageError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`, { option: name });
  return value;
}

/**
 * `keepText`: false, true, or one of the table's choices (KEEP_TEXT_MODES). true is the first choice
 * (`visible`), as a bare `--keep-text` is (switchArguments).
 */
function keepTextMode(value: unknown, name: string): false | KeepTextMode {
  if (value === undefined || value === false) return false;
  if (value === true) return KEEP_TEXT_MODES[0];
  const mode = KEEP_TEXT_MODES.find((choice) => choice === value);
  if (mode) return mode;
  throw new UsageError(`Expected \`${name}\` to be true, false, ${KEEP_TEXT_MODES.map((m) => `"${m}"`).join(" or ")}, got ${describe(value)}`, { option: name });
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new UsageError(`Expected \`${name}\` to be a string, got ${describe(value)}`, { option: name });
  return value;
}

const COLOURS: Record<string, [number, number, number]> = {
  white: [255, 255, 255],
  black: [0, 0, 0],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  red: [255, 0, 0],
  green: [0, 128, 0],
  blue: [0, 0, 255],
  yellow: [255, 255, 0],
};

/** Parses a colour name or `#rgb` / `#rrggbb` into 0-255 RGB. */
export function parseColour(input: string, name = "background"): [number, number, number] {
  const value = input.trim().toLowerCase();
  const named = COLOURS[value];
  if (named) return [...named];
  const hex = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/.exec(value)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join("") : hex;
    return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
  }
  throw new UsageError(`Expected \`${name}\` to be a colour name or #rrggbb, got \`${input}\``, { option: name });
}

function clusterSettings(o: RasterizeOptions, n: Naming): ClusterSettings | undefined {
  if (o.redis === undefined) {
    const given = (["queue", "store", "waitTimeout"] as const).find((key) => o[key] !== undefined);
    if (given) throw new UsageError(`\`${n("queue")}\`, \`${n("store")}\` and \`${n("waitTimeout")}\` are for cluster mode: give \`${n("redis")}\` too`, { option: n(given) });
    return undefined;
  }
  return { redis: checkRedisUrl(o.redis, n("redis")), queue: checkQueueName(o.queue, n("queue")), store: checkStoreUrl(o.store, n("store")) };
}

/** Every key of {@link RasterizeOptions}. */
const OPTION_KEYS: readonly string[] = [...RUN_OPTIONS.map((spec) => spec.key), "onProgress", "signal"];

/** `format`: `tiff` is lossless TIFF, a PNG page's encoding in a TIFF file. */
function formatOptions(value: unknown, name: string): Pick<NormalizedOptions, "format" | "formatGiven" | "tiff"> {
  const format = choice<ImageFormat | "tiff">(name, value, DEFAULTS.format, ["jpeg", "png", "auto", "tiff"]);
  return format === "tiff" ? { format: "png", formatGiven: false, tiff: true } : { format, formatGiven: value !== undefined, tiff: false };
}

/**
 * Validates the public options once, with messages that name the option and the bad value. `naming`
 * says how the caller's user knows the options: the API's names by default, `--max-pixels` for the
 * CLI, `max-pixels` for a service request (see option-table.ts); the error's `option` is that name.
 */
export function normalizeOptions(options: RasterizeOptions = {}, naming: Naming = API_NAMES): NormalizedOptions {
  if (typeof options !== "object" || options === null) {
    throw new UsageError(`Expected options to be an object, got ${describe(options)}`);
  }
  // A misspelt key would otherwise be ignored silently (`{ dpl: 100 }` rendering at 300 DPI).
  checkKeys(options, OPTION_KEYS);
  const o = options;
  const n: (key: OptionKey) => string = naming;
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") {
    throw new UsageError(`Expected \`onProgress\` to be a function, got ${describe(o.onProgress)}`, { option: "onProgress" });
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new UsageError(`Expected \`signal\` to be an AbortSignal, got ${describe(o.signal)}`, { option: "signal" });
  }
  const engine = choice(n("engine"), o.engine, DEFAULTS.engine, ENGINE_NAMES);
  const fallbackEngine = o.fallbackEngine === undefined ? undefined : choice(n("fallbackEngine"), o.fallbackEngine, engine, ENGINE_NAMES);
  if (fallbackEngine === engine) {
    throw new UsageError(`Expected \`${n("fallbackEngine")}\` to differ from \`${n("engine")}\` (${engine}), got ${describe(o.fallbackEngine)}`, {
      option: n("fallbackEngine"),
    });
  }
  // One rule for every output: 1-bit is stored losslessly (JBIG2 or G4 in a PDF, PNG files), so an explicit JPEG cannot be honoured (a .jpg name: api.ts imageOptions).
  if (o.color === "mono" && typeof o.format === "string" && o.format.toLowerCase() === "jpeg") {
    throw new UsageError(`\`${n("color")}\` mono is stored 1-bit and lossless (JBIG2 or G4 in a PDF, PNG files), never JPEG: leave \`${n("format")}\` out (or give png or auto) with it`, { option: n("format") });
  }
  // A missing optional engine package is a usage error now, not a failure of every page later.
  for (const [key, name] of [["engine", engine], ["fallbackEngine", fallbackEngine]] as const) {
    if (name && !engineAvailable(name)) throw new UsageError(engineUnavailable(name).message, { option: n(key) });
  }
  return {
    dpi: number(n("dpi"), o.dpi, DEFAULTS.dpi, 1, 4800),
    size: parseSize(text(n("size"), o.size) ?? DEFAULTS.size, n("size")),
    fit: choice(n("fit"), o.fit, DEFAULTS.fit, ["contain", "cover", "fill", "none"]),
    orientation: choice(n("orientation"), o.orientation, DEFAULTS.orientation, ["auto", "portrait", "landscape"]),
    margins: parseMargins(text(n("margin"), o.margin) ?? DEFAULTS.margin, n("margin")),
    background: parseColour(text(n("background"), o.background) ?? DEFAULTS.background, n("background")),
    pages: text(n("pages"), o.pages),
    workers: number(n("workers"), o.workers, defaultWorkers(), 1, 256, true),
    ...formatOptions(o.format, n("format")),
    quality: number(n("quality"), o.quality, DEFAULTS.quality, 1, 100, true),
    color: choice(n("color"), o.color, DEFAULTS.color, ["rgb", "gray", "mono"]),
    threshold: number(n("threshold"), o.threshold, DEFAULTS.threshold, 0, 255, true),
    password: text(n("password"), o.password),
    onError: choice(n("onError"), o.onError, DEFAULTS.onError, ["abort", "blank", "skip"]),
    box: choice(n("box"), o.box, DEFAULTS.box, PAGE_BOXES),
    maxPixels: number(n("maxPixels"), o.maxPixels, DEFAULTS.maxPixels, 1, Number.MAX_SAFE_INTEGER, true),
    bandPixels: number(n("bandPixels"), o.bandPixels, DEFAULTS.bandPixels, 1, Number.MAX_SAFE_INTEGER, true),
    pageTimeoutMs: number(n("pageTimeout"), o.pageTimeout, DEFAULTS.pageTimeout, 0.1, 86_400) * 1000,
    maxPagesPerWorker: number(n("maxPagesPerWorker"), o.maxPagesPerWorker, DEFAULTS.maxPagesPerWorker, 1, 1e9, true),
    maxWorkerMemoryBytes: checkWorkerMemory(o.maxWorkerMemory, n("maxWorkerMemory")),
    sandbox: checkSandbox(o.sandbox, n("sandbox")),
    engine,
    fallbackEngine,
    keepText: keepTextMode(o.keepText, n("keepText")),
    keepOutline: flag(n("keepOutline"), o.keepOutline),
    keepLinks: flag(n("keepLinks"), o.keepLinks),
    keepMetadata: flag(n("keepMetadata"), o.keepMetadata),
    pdfa: o.pdfa === undefined ? undefined : choice(n("pdfa"), o.pdfa, PDFA_LEVELS[0], PDFA_LEVELS),
    cluster: clusterSettings(o, naming),
    waitTimeoutMs: o.waitTimeout === undefined ? undefined : number(n("waitTimeout"), o.waitTimeout, 0, 0.1, 86_400) * 1000,
    onProgress: o.onProgress,
    signal: o.signal,
  };
}
