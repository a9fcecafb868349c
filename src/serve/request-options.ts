import { PdfRasterError, UsageError } from "../errors.js";
import { normalizeOptions, PDFA_IS_FOR_PDF, type NormalizedOptions, type RasterizeOptions } from "../options.js";

/** What a request gets back: one PDF, a ZIP of one image per page, or one multi-page TIFF. */
export type OutputKind = "pdf" | "zip" | "tiff";

export interface RequestOptions {
  options: NormalizedOptions;
  output: OutputKind;
}

/** Request fields (the CLI's flag names) and the option each sets. */
const FIELDS = {
  dpi: "dpi",
  size: "size",
  fit: "fit",
  orientation: "orientation",
  margin: "margin",
  background: "background",
  pages: "pages",
  format: "format",
  quality: "quality",
  color: "color",
  threshold: "threshold",
  password: "password",
  "on-error": "onError",
  box: "box",
  "max-pixels": "maxPixels",
  "keep-text": "keepText",
  "keep-outline": "keepOutline",
  "keep-links": "keepLinks",
  "keep-metadata": "keepMetadata",
  pdfa: "pdfa",
} as const satisfies Record<string, keyof RasterizeOptions>;
type Field = keyof typeof FIELDS;

const FLAGS = new Set<string>(["keep-text", "keep-outline", "keep-links", "keep-metadata"]);
/** CLI flags that are the service's, not a request's (they concern the shared workers). */
const SERVICE_FLAGS = new Set(["workers", "engine", "fallback-engine", "page-timeout", "max-pages-per-worker", "max-worker-memory", "sandbox"]);

/** The names a request may use, for the upload page and docs/service.md. */
export const REQUEST_FIELDS = [...Object.keys(FIELDS), "output"] as const;

/**
 * Turns query or form fields into a job's options, through the same normalizeOptions() as the CLI
 * and with its messages (naming the field as the request gave it). The service's pool-level settings
 * come from `base`; a request may lower `max-pixels`, not raise it. An empty field counts as absent
 * (an HTML form sends its empty inputs).
 */
export function requestOptions(
  fields: Record<string, string | string[] | undefined>,
  base: NormalizedOptions,
  /** The request's Accept header: `image/tiff` asks for a TIFF when `output` is not given. */
  accept?: string,
): RequestOptions {
  const options: RasterizeOptions = {};
  let output: OutputKind | undefined;
  for (const [name, raw] of Object.entries(fields)) {
    if (raw === undefined) continue;
    if (Array.isArray(raw)) throw new UsageError(`\`${name}\` is given ${raw.length} times: give it once`);
    if (name === "output") {
      const value = raw.toLowerCase();
      if (value !== "pdf" && value !== "zip" && value !== "tiff") throw new UsageError(`Expected \`output\` to be one of pdf, zip, tiff, got \`${raw}\` (string)`);
      output = value;
      continue;
    }
    if (SERVICE_FLAGS.has(name)) throw new UsageError(`\`${name}\` is a setting of the whole service (given when it starts), not of a request`);
    if (!(name in FIELDS)) throw new UsageError(`Unknown option \`${name}\`; the options are ${REQUEST_FIELDS.join(", ")}`);
    const key = FIELDS[name as Field];
    if (name === "keep-text") options.keepText = keepText(raw);
    else if (FLAGS.has(name)) (options as Record<string, unknown>)[key] = flag(name, raw);
    else if (raw !== "") (options as Record<string, unknown>)[key] = raw;
  }
  if (options.maxPixels !== undefined) {
    const asked = Number(options.maxPixels);
    if (Number.isFinite(asked) && asked > base.maxPixels) {
      throw new UsageError(`Expected \`max-pixels\` to be at most the service's ${base.maxPixels}, got \`${String(options.maxPixels)}\``);
    }
  }
  let normalized: NormalizedOptions;
  try {
    normalized = normalizeOptions({
      ...options,
      workers: base.workers,
      engine: base.engine,
      fallbackEngine: base.fallbackEngine,
      pageTimeout: base.pageTimeoutMs / 1000,
      maxPagesPerWorker: base.maxPagesPerWorker,
      maxWorkerMemory: base.maxWorkerMemoryBytes / 2 ** 20,
      sandbox: base.sandbox,
      maxPixels: options.maxPixels ?? base.maxPixels,
    });
  } catch (error) {
    throw renamed(error);
  }
  // `format=tiff` alone, or Accept: image/tiff, asks for a TIFF; format=tiff with output=zip is a ZIP of TIFF pages.
  output ??= normalized.tiff || /\bimage\/tiff\b/i.test(accept ?? "") ? "tiff" : "pdf";
  if (output === "pdf" && normalized.tiff) throw new UsageError("`format` tiff writes TIFF: ask for `output` tiff or zip");
  if (output !== "pdf" && (normalized.keepText || normalized.keepOutline || normalized.keepLinks || normalized.keepMetadata)) {
    throw new UsageError("The keep options (text, outline, links, metadata) are for PDF output, not image files");
  }
  if (output !== "pdf" && normalized.pdfa) throw new UsageError(PDFA_IS_FOR_PDF);
  return { options: normalized, output };
}

/** `on`, `true`, `1` (and a bare `?keep-text`) turn a flag on; `off`, `false`, `0` leave it off. */
function flag(name: string, raw: string): boolean {
  const value = raw.toLowerCase();
  if (value === "" || value === "1" || value === "true" || value === "on" || value === "yes") return true;
  if (value === "0" || value === "false" || value === "off" || value === "no") return false;
  throw new UsageError(`Expected \`${name}\` to be a boolean (true or false), got \`${raw}\` (string)`);
}

/** `keep-text`: a flag (on: visible text only), or `visible` / `all`. */
function keepText(raw: string): boolean | "visible" | "all" {
  const value = raw.toLowerCase();
  if (value === "visible" || value === "all") return value;
  try {
    return flag("keep-text", raw);
  } catch {
    throw new UsageError(`Expected \`keep-text\` to be visible, all, or a boolean (true or false), got \`${raw}\` (string)`);
  }
}

/** normalizeOptions() names options in camelCase; the request used the CLI's names. */
function renamed(error: unknown): unknown {
  if (!(error instanceof UsageError)) return error;
  let message = error.message;
  for (const [field, key] of Object.entries(FIELDS)) message = message.replaceAll(`\`${key}\``, `\`${field}\``);
  return message === error.message ? error : new UsageError(message, { cause: (error as PdfRasterError).cause });
}
