import { UsageError } from "../errors.js";
import { inScope, namesOf, valuesOf } from "../option-table.js";
import { normalizeOptions, PDFA_IS_FOR_PDF, RUN_OPTIONS, type NormalizedOptions, type RasterizeOptions } from "../options.js";

/** What a request gets back: one PDF, a ZIP of one image per page, or one multi-page TIFF. */
export type OutputKind = "pdf" | "zip" | "tiff";

export interface RequestOptions {
  options: NormalizedOptions;
  output: OutputKind;
}

/** A request's fields: the run's options that apply to one document, by their flag names (`on-error`). */
const FIELDS = inScope(RUN_OPTIONS, "request");
/** Settings of the whole service (given when it starts), which a request may not give. */
const SERVICE_FLAGS = new Set(inScope(RUN_OPTIONS, "service").filter((spec) => !spec.scopes.includes("request")).map((spec) => spec.flag));
/** Messages name the fields as the request gave them: "Expected `on-error` to be ...". */
const FIELD_NAMES = namesOf(RUN_OPTIONS, "field");

/** The names a request may use, for the upload page and docs/service.md. */
export const REQUEST_FIELDS = [...FIELDS.map((spec) => spec.flag), "output"] as const;

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
  let output: OutputKind | undefined;
  const given: Record<string, string> = {};
  for (const [name, raw] of Object.entries(fields)) {
    if (raw === undefined) continue;
    if (Array.isArray(raw)) throw new UsageError(`\`${name}\` is given ${raw.length} times: give it once`, { option: name });
    if (name === "output") {
      const value = raw.toLowerCase();
      if (value !== "pdf" && value !== "zip" && value !== "tiff") throw new UsageError(`Expected \`output\` to be one of pdf, zip, tiff, got \`${raw}\` (string)`, { option: name });
      output = value;
      continue;
    }
    if (SERVICE_FLAGS.has(name)) throw new UsageError(`\`${name}\` is a setting of the whole service (given when it starts), not of a request`, { option: name });
    if (!FIELDS.some((spec) => spec.flag === name)) throw new UsageError(`Unknown option \`${name}\`; the options are ${REQUEST_FIELDS.join(", ")}`, { option: name });
    // An HTML form sends its empty inputs: an empty field counts as absent, but a bare switch (`?keep-text`) is on.
    if (raw !== "" || FIELDS.some((spec) => spec.flag === name && spec.type === "boolean")) given[name] = raw;
  }
  const options = valuesOf(RUN_OPTIONS, "request", given, { by: "flag", naming: FIELD_NAMES }) as RasterizeOptions; // checked below
  if (options.maxPixels !== undefined) {
    const asked = Number(options.maxPixels);
    if (Number.isFinite(asked) && asked > base.maxPixels) {
      throw new UsageError(`Expected \`max-pixels\` to be at most the service's ${base.maxPixels}, got \`${String(options.maxPixels)}\``, { option: "max-pixels" });
    }
  }
  const normalized = normalizeOptions(
    {
      ...options,
      workers: base.workers,
      engine: base.engine,
      fallbackEngine: base.fallbackEngine,
      pageTimeout: base.pageTimeoutMs / 1000,
      maxPagesPerWorker: base.maxPagesPerWorker,
      maxWorkerMemory: base.maxWorkerMemoryBytes / 2 ** 20,
      sandbox: base.sandbox,
      maxPixels: options.maxPixels ?? base.maxPixels,
    },
    FIELD_NAMES,
  );
  // `format=tiff` alone, or Accept: image/tiff, asks for a TIFF; format=tiff with output=zip is a ZIP of TIFF pages.
  output ??= normalized.tiff || /\bimage\/tiff\b/i.test(accept ?? "") ? "tiff" : "pdf";
  if (output === "pdf" && normalized.tiff) throw new UsageError("`format` tiff writes TIFF: ask for `output` tiff or zip");
  if (output !== "pdf" && (normalized.keepText || normalized.keepOutline || normalized.keepLinks || normalized.keepMetadata)) {
    throw new UsageError("The keep options (text, outline, links, metadata) are for PDF output, not image files");
  }
  if (output !== "pdf" && normalized.pdfa) throw new UsageError(PDFA_IS_FOR_PDF);
  return { options: normalized, output };
}
