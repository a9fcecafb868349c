import { UsageError } from "./errors.js";

/** Points per unit of length (1 pt = 1/72 in). */
const UNIT_PT = { pt: 1, in: 72, mm: 72 / 25.4, cm: 720 / 25.4 } as const;
type Unit = keyof typeof UNIT_PT;

/** A named or custom paper size in points, portrait as given (width <= height for the named sizes). */
export interface Paper {
  name: string;
  width: number;
  height: number;
}

/** `original` keeps each page's own size; otherwise every page is laid out on this paper. */
export type SizeSpec = "original" | Paper;

export type Fit = "contain" | "cover" | "fill" | "none";
export type Orientation = "auto" | "portrait" | "landscape";
/** Margins in points: top, right, bottom, left. */
export type Margins = readonly [number, number, number, number];

function isoSeries(prefix: string, width0: number, height0: number): Array<[string, number, number]> {
  const sizes: Array<[string, number, number]> = [];
  let [w, h] = [width0, height0];
  for (let n = 0; n <= 10; n++) {
    sizes.push([`${prefix}${n}`, w, h]);
    [w, h] = [Math.floor(h / 2), w];
  }
  return sizes;
}

const PAPERS = new Map<string, Paper>();
for (const [name, w, h] of [...isoSeries("A", 841, 1189), ...isoSeries("B", 1000, 1414)]) {
  PAPERS.set(name.toLowerCase(), { name, width: w * UNIT_PT.mm, height: h * UNIT_PT.mm });
}
for (const [name, w, h] of [
  ["Letter", 8.5, 11],
  ["Legal", 8.5, 14],
  ["Tabloid", 11, 17],
  ["Ledger", 17, 11],
  ["Executive", 7.25, 10.5],
] as const) {
  PAPERS.set(name.toLowerCase(), { name, width: w * UNIT_PT.in, height: h * UNIT_PT.in });
}

/** Names accepted by `--size`, for help texts. */
export const PAPER_NAMES = [...PAPERS.values()].map((p) => p.name);

const NUMBER = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
const LENGTH_RE = new RegExp(`^${NUMBER}\\s*(mm|cm|in|pt)$`, "i");
const CUSTOM_RE = new RegExp(`^${NUMBER}\\s*x\\s*${NUMBER}\\s*(mm|cm|in|pt)$`, "i");

/** Parses one length with a unit (`10mm`, `0.5in`, `12pt`) into points; `0` needs no unit. */
export function parseLength(input: string): number {
  const text = input.trim();
  if (/^0+(\.0*)?$/.test(text)) return 0;
  const match = LENGTH_RE.exec(text);
  if (!match) throw new UsageError(`Expected a length with a unit (mm, cm, in or pt) such as \`10mm\`, got \`${input}\``);
  return Number(match[1]) * UNIT_PT[match[2]!.toLowerCase() as Unit];
}

/** Parses `--margin`: one length for all sides, or four as top,right,bottom,left. */
export function parseMargins(input: string, name = "margin"): Margins {
  let parts: number[];
  try {
    parts = input.split(",").map(parseLength);
  } catch (error) {
    throw error instanceof UsageError ? new UsageError(error.message, { option: name }) : error;
  }
  if (parts.length === 1) return [parts[0]!, parts[0]!, parts[0]!, parts[0]!];
  if (parts.length === 4) return [parts[0]!, parts[1]!, parts[2]!, parts[3]!];
  throw new UsageError(`Expected \`${name}\` to be one length or four (top,right,bottom,left), got \`${input}\``, { option: name });
}

/** Parses `--size`: a paper name (case-insensitive), a custom `WxH<unit>`, or `original`. */
export function parseSize(input: string, name = "size"): SizeSpec {
  const text = input.trim();
  if (text.toLowerCase() === "original") return "original";
  const named = PAPERS.get(text.toLowerCase());
  if (named) return named;
  const match = CUSTOM_RE.exec(text);
  if (match) {
    const unit = UNIT_PT[match[3]!.toLowerCase() as Unit];
    const width = Number(match[1]) * unit;
    const height = Number(match[2]) * unit;
    if (width > 0 && height > 0 && width <= 14_400 && height <= 14_400) return { name: text, width, height };
    throw new UsageError(`Expected a custom \`${name}\` between 0 and 200in on each side, got \`${input}\``, { option: name });
  }
  throw new UsageError(
    `Unknown paper size \`${input}\`: use original, a name (A0-A10, B0-B10, Letter, Legal, Tabloid, Ledger, Executive) or WxH with a unit, e.g. 210x297mm`,
    { option: name },
  );
}

/** A rectangle in PDF points, origin bottom-left. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutOptions {
  size: SizeSpec;
  dpi: number;
  fit: Fit;
  orientation: Orientation;
  margins: Margins;
}

/** Where one page goes on the output sheet and how it is rasterized. */
export interface PageLayout {
  /** Output sheet size in points. */
  sheetWidth: number;
  sheetHeight: number;
  /** Where the raster image is placed on the sheet (points). */
  image: Box;
  /** Raster size in pixels. */
  pixelWidth: number;
  pixelHeight: number;
  /** Displayed-page points to raster pixels: pixel = point * scale + offset (y down). */
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

/**
 * Lays a page of `pageWidth` x `pageHeight` points (as displayed: its box after /Rotate) out on
 * the sheet. The raster covers exactly the visible part of the page, at `dpi`, so it is rendered
 * once at its final pixel size and never resampled.
 */
export function layoutPage(
  pageWidth: number,
  pageHeight: number,
  options: LayoutOptions,
  /** Where the laid-out box's top-left corner is in the page's displayed space (`--box` other than the CropBox). */
  boxOrigin: { x: number; y: number } = { x: 0, y: 0 },
): PageLayout {
  const [top, right, bottom, left] = options.margins;
  let sheetWidth: number;
  let sheetHeight: number;
  if (options.size === "original") {
    sheetWidth = pageWidth + left + right;
    sheetHeight = pageHeight + top + bottom;
  } else {
    const short = Math.min(options.size.width, options.size.height);
    const long = Math.max(options.size.width, options.size.height);
    const landscape =
      options.orientation === "landscape" ||
      (options.orientation === "auto" &&
        (pageWidth > pageHeight ? true : pageWidth < pageHeight ? false : options.size.width > options.size.height));
    [sheetWidth, sheetHeight] = landscape ? [long, short] : [short, long];
  }

  const content: Box = { x: left, y: bottom, width: sheetWidth - left - right, height: sheetHeight - top - bottom };
  if (content.width <= 0 || content.height <= 0) {
    throw new UsageError("The margins leave no room for the page on the sheet");
  }

  let sx = content.width / pageWidth;
  let sy = content.height / pageHeight;
  if (options.size === "original" || options.fit === "none") sx = sy = 1;
  else if (options.fit === "contain") sx = sy = Math.min(sx, sy);
  else if (options.fit === "cover") sx = sy = Math.max(sx, sy);

  // The drawn page is centred in the content box; the image is the part of it that is visible.
  const drawnWidth = pageWidth * sx;
  const drawnHeight = pageHeight * sy;
  const drawnX = content.x + (content.width - drawnWidth) / 2;
  const drawnY = content.y + (content.height - drawnHeight) / 2;
  const image: Box = {
    x: Math.max(drawnX, content.x),
    y: Math.max(drawnY, content.y),
    width: Math.min(drawnWidth, content.width),
    height: Math.min(drawnHeight, content.height),
  };

  const k = options.dpi / 72;
  const pixelWidth = Math.max(1, Math.round(image.width * k));
  const pixelHeight = Math.max(1, Math.round(image.height * k));
  const kx = pixelWidth / image.width;
  const ky = pixelHeight / image.height;
  return {
    sheetWidth,
    sheetHeight,
    image,
    pixelWidth,
    pixelHeight,
    scaleX: sx * kx,
    scaleY: sy * ky,
    offsetX: (drawnX - image.x) * kx - boxOrigin.x * sx * kx,
    offsetY: (image.y + image.height - (drawnY + drawnHeight)) * ky - boxOrigin.y * sy * ky,
  };
}

/** Pixels around the raster that make it the whole sheet at `dpi` (image output: margins and the uncovered paper). */
export interface SheetPadding {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** The padding that places a page's raster on its sheet, in pixels (never negative). */
export function sheetPadding(layout: PageLayout, dpi: number): SheetPadding {
  const k = dpi / 72;
  const sheetWidth = Math.max(1, Math.round(layout.sheetWidth * k));
  const sheetHeight = Math.max(1, Math.round(layout.sheetHeight * k));
  const left = Math.max(0, Math.round(layout.image.x * k));
  const top = Math.max(0, Math.round((layout.sheetHeight - layout.image.y - layout.image.height) * k));
  return {
    top,
    right: Math.max(0, sheetWidth - left - layout.pixelWidth),
    bottom: Math.max(0, sheetHeight - top - layout.pixelHeight),
    left,
  };
}
