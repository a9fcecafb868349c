import { stat } from "node:fs/promises";
import { basename, dirname, extname, resolve, sep } from "node:path";
import { UsageError } from "../errors.js";
import type { FileFormat } from "../worker/encode.js";

/** A file name with one page-number slot: `page-%03d.png` is `{ prefix: "page-", width: 3, suffix: ".png" }`. */
export interface NamePattern {
  prefix: string;
  /** Zero-padded to this many digits (0: not padded). */
  width: number;
  suffix: string;
  /** Set by the extension of the pattern. */
  format: FileFormat;
  /** No page-number slot: the name of one image (`page.png`), for a selection of one page. */
  single?: true;
}

/** Where one document's output goes. */
export type OutputTarget =
  | { kind: "pdf"; path: string }
  | { kind: "stream"; stream: NodeJS.WritableStream }
  /** One multi-page TIFF file, a page per IFD. */
  | { kind: "tiff"; path: string }
  /** One image file per page in `dir`, named by `pattern` or `<input-stem>-<page>.<ext>`. */
  | { kind: "images"; dir: string; pattern: NamePattern | undefined; display: string };

/**
 * Parses a `%d` page-number slot (`%d`, or zero-padded to N digits `%0Nd` or `%Nd`; `%%` is a
 * literal `%`) in a file name. Returns undefined when the name has none.
 */
export function parseNamePattern(name: string): NamePattern | undefined {
  let prefix = "";
  let suffix = "";
  let width = -1;
  for (let i = 0; i < name.length; i++) {
    const slot = name[i] === "%" ? /^%(\d{1,2})?d/.exec(name.slice(i)) : null;
    if (name.startsWith("%%", i)) {
      if (width < 0) prefix += "%";
      else suffix += "%";
      i++;
    } else if (slot) {
      if (width >= 0) throw new UsageError(`Expected one %d page number in the output pattern, got \`${name}\``);
      width = slot[1] ? Number(slot[1]) : 0;
      i += slot[0].length - 1;
    } else if (width < 0) {
      prefix += name[i];
    } else {
      suffix += name[i];
    }
  }
  if (width < 0) return undefined;
  const ext = /\.(png|jpe?g|tiff?)$/i.exec(suffix)?.[1]?.toLowerCase(); // not extname(): `.png` alone is a dot file to it
  const format = ext === "png" ? "png" : ext === "jpg" || ext === "jpeg" ? "jpeg" : ext === "tif" || ext === "tiff" ? "tiff" : undefined;
  if (!format) throw new UsageError(`Expected the output pattern to end in .png, .jpg, .jpeg, .tif or .tiff, got \`${name}\``);
  return { prefix, width, suffix, format };
}

/** Extensions of image formats pdfraster does not write: an output named so is refused, never a PDF under that name. */
const UNSUPPORTED_IMAGE = /\.(webp|gif|bmp|avif|heic|jxl|jp2)$/i;

/**
 * An output file named like an image (`page.png`, `scan.jpg`): one image, for a one-page
 * selection (checked once the page count is known). Other image formats (TIFF is handled before) are refused.
 */
function singleImage(name: string): NamePattern | undefined {
  const other = UNSUPPORTED_IMAGE.exec(name)?.[1]?.toLowerCase();
  if (other) {
    throw new UsageError(`pdfraster does not write .${other} files: write a PDF (out.pdf), a TIFF (out.tiff), or PNG/JPEG/TIFF images into a folder (out/) or by a pattern (page-%d.png), got \`${name}\``);
  }
  const ext = /\.(png|jpe?g)$/i.exec(name)?.[1]?.toLowerCase();
  if (!ext) return undefined;
  return { prefix: name, width: 0, suffix: "", format: ext === "png" ? "png" : "jpeg", single: true };
}

/** The error for a single-image output (`page.png`) when the selection is not one page. */
export function notOnePage(display: string, selected: number): UsageError {
  return new UsageError(
    `The output ${basename(display)} is one image, but ${selected} pages are selected: write one image per page into a folder (out/) or by a pattern (page-%d.png), or select one page with \`pages\``,
  );
}

function isStream(value: unknown): value is NodeJS.WritableStream {
  return typeof value === "object" && value !== null && typeof (value as { write?: unknown }).write === "function";
}

/**
 * Tells what `output` asks for: a writable stream; image files, when it is a pattern with `%d` or
 * a folder (it ends in `/` or exists as one); a multi-page TIFF when it ends in .tif or .tiff; one
 * image when it is named `.png`, `.jpg` or `.jpeg`; otherwise a PDF file (a name of another image
 * format is refused).
 */
export async function resolveOutput(output: unknown): Promise<OutputTarget> {
  if (isStream(output)) return { kind: "stream", stream: output };
  if (typeof output !== "string" || output === "") {
    throw new UsageError(`Expected \`output\` to be a file path, a folder, a %d pattern or a writable stream, got \`${String(output)}\``);
  }
  const path = resolve(output);
  const pattern = parseNamePattern(basename(output));
  if (pattern) {
    if (/%\d*d/.test(dirname(output).replaceAll("%%", ""))) throw new UsageError(`Expected the %d page number in the file name, not a folder, got \`${output}\``);
    return { kind: "images", dir: dirname(path), pattern, display: path };
  }
  const isFolder = output.endsWith("/") || output.endsWith(sep) || (await stat(path).catch(() => undefined))?.isDirectory();
  if (isFolder) return { kind: "images", dir: path, pattern: undefined, display: path + sep };
  if (/\.tiff?$/i.test(path)) return { kind: "tiff", path };
  const image = singleImage(basename(output));
  if (image) return { kind: "images", dir: dirname(path), pattern: image, display: path };
  return { kind: "pdf", path };
}

/** The stem of image files named after the input: `report.pdf` gives `report`; bytes or stdin give `page`. */
export function inputStem(input: string | null): string {
  if (input === null) return "page";
  const name = basename(input);
  const stem = name.slice(0, name.length - extname(name).length);
  return stem || name;
}

/** The file name of one page in image output: the pattern's, or `<stem>-<page>.<ext>` padded to the page count's digits. */
export function imageFileName(
  pattern: NamePattern | undefined,
  stem: string,
  pageNumber: number,
  pageCount: number,
  format: FileFormat,
): string {
  if (pattern?.single) return pattern.prefix;
  if (pattern) return `${pattern.prefix}${String(pageNumber).padStart(pattern.width, "0")}${pattern.suffix}`;
  return `${stem}-${String(pageNumber).padStart(String(pageCount).length, "0")}.${{ jpeg: "jpg", png: "png", tiff: "tif" }[format]}`;
}
