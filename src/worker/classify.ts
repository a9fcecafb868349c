/**
 * `--format auto`: measures a rendered page and picks its encoding. Pure: no sharp, no pdf.js.
 *
 * Measured on the pdf.js corpus (see README "Formats"): text and line art rendered by pdf.js is
 * black/white plus anti-aliased edges, which 1-bit (at print resolution) or 16-level gray PNG keep
 * at a fraction of a JPEG's size; photographs and shadings have runs of slowly varying mid-tones,
 * which only JPEG stores small.
 */

/** What a rendered page looks like, as shares (0..1) of the sampled pixels. */
export interface PageStats {
  /** Pixels with visible colour (channel spread above 24). */
  colourful: number;
  /** Mid-tone pixels in a run of three that varies: photographs, gradients, shading. */
  tonal: number;
  /** Mid-tone pixels equal to their left and upper neighbours: flat tints that 1-bit would lose. */
  tint: number;
}

/** How `auto` encodes one page. */
export type AutoEncoding = "mono" | "gray4" | "gray-jpeg" | "rgb-jpeg" | "rgb-smallest";

/** Share of colourful pixels below which a page counts as gray (a few stray pixels are not colour). */
export const GRAY_BELOW = 0.0001;
/** Share of tonal pixels from which a page counts as photographic (text measured at most 0.0062). */
export const TONAL_FROM = 0.01;
/** Share of flat tint pixels below which a gray page may go 1-bit (text measured 0 to 0.0001). */
export const TINT_BELOW = 0.0005;
/** Resolution (page points to pixels, in pixels per inch) from which 1-bit keeps text as legible as gray. */
export const MONO_FROM_PPI = 290;
/** Rows sampled at most: every row is read on small pages, every k-th on large ones. */
const SAMPLED_ROWS = 1100;

/** Measures opaque RGBA pixels on a sample of rows (cost: about one pass over a third of a 300 DPI page). */
export function measurePage(rgba: Uint8Array, width: number, height: number): PageStats {
  const step = Math.max(1, Math.round(height / SAMPLED_ROWS));
  const stride = width * 4;
  let sampled = 0;
  let colourful = 0;
  let tonal = 0;
  let tint = 0;
  for (let row = 0; row < height; row += step) {
    const start = row * stride;
    const above = row > 0 ? start - stride : -1;
    let y1 = 255; // luminance of the pixel to the left, and the one before it
    let y2 = 255;
    for (let i = start, x = 0; x < width; x++, i += 4) {
      const r = rgba[i]!;
      const g = rgba[i + 1]!;
      const b = rgba[i + 2]!;
      const max = r > g ? (r > b ? r : b) : g > b ? g : b;
      const min = r < g ? (r < b ? r : b) : g < b ? g : b;
      if (max - min > 24) colourful++;
      const y = (r * 77 + g * 150 + b * 29) >> 8;
      if (y >= 32 && y < 224 && y1 >= 32 && y1 < 224 && y2 >= 32 && y2 < 224 && y !== y1) tonal++;
      if (y >= 16 && y < 240 && y === y1 && above >= 0) {
        const j = above + x * 4;
        if (((rgba[j]! * 77 + rgba[j + 1]! * 150 + rgba[j + 2]! * 29) >> 8) === y) tint++;
      }
      y2 = y1;
      y1 = y;
    }
    sampled += width;
  }
  const n = Math.max(1, sampled);
  return { colourful: colourful / n, tonal: tonal / n, tint: tint / n };
}

/**
 * Picks the encoding that is smallest at (visually) equal quality:
 * - gray text and line art: 1-bit at print resolution, 16-level gray below it or when it has tints;
 * - photographic content: JPEG, gray when the page has no colour;
 * - colour line art: lossless RGB PNG or JPEG, whichever is smaller (the encoder tries both).
 */
export function chooseEncoding(stats: PageStats, options: { ppi: number; gray: boolean }): AutoEncoding {
  const gray = options.gray || stats.colourful < GRAY_BELOW;
  if (stats.tonal >= TONAL_FROM) return gray ? "gray-jpeg" : "rgb-jpeg";
  if (!gray) return "rgb-smallest";
  return options.ppi >= MONO_FROM_PPI && stats.tint < TINT_BELOW ? "mono" : "gray4";
}
