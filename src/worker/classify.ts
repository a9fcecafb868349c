/**
 * `--format auto`: measures a rendered page and picks its encoding. Pure: no sharp, no pdf.js.
 *
 * Measured on the pdf.js corpus (see docs/outputs.md, "Formats"): text and line art rendered by pdf.js is
 * black/white plus anti-aliased edges, which 1-bit (at print resolution) or 16-level gray PNG keep
 * at a fraction of a JPEG's size; photographs and shadings have runs of slowly varying mid-tones,
 * which only JPEG stores small.
 */

import { pixelWords, whiteGroup, whiteRows } from "../codecs/white.js";

/** What a rendered page looks like, as shares (0..1) of the sampled pixels or blocks. */
export interface PageStats {
  /** Pixels with visible colour (channel spread above 24). */
  colourful: number;
  /**
   * Blocks of 16x16 pixels that are photographic: mostly mid-tones that vary, none of them
   * dominant (photographs, gradients, shading), unlike text, whose blocks hold paper and ink, and
   * fills, where one tone dominates.
   */
  photo: number;
  /** Mid-tone pixels equal to their left and upper neighbours: flat tints that 1-bit would lose. */
  tint: number;
  /** Mid-tone pixels 1 or 2 levels off their left neighbour: smooth shading that 16 gray levels would band. */
  smooth: number;
}

/** How `auto` encodes one page. */
export type AutoEncoding = "mono" | "gray4" | "gray-smallest" | "rgb-jpeg" | "rgb-smallest";

/** Share of colourful pixels below which a page counts as gray (a few stray pixels are not colour). */
export const GRAY_BELOW = 0.0001;
/** Share of photographic blocks from which JPEG is used (text pages measured at most 0.0165, photo pages 0.04 to 0.89). */
export const PHOTO_FROM = 0.02;
/** Share of flat mid-tone pixels below which a gray page may go 1-bit (plain text measured at most 0.0002; a page with a gray figure 0.002 and up). */
export const TINT_BELOW = 0.0005;
/** Share of smooth-shading pixels from which a gray page keeps 256 levels (text measured at most 0.0013, photos and gradients 0.014 and up). */
export const SMOOTH_FROM = 0.003;
/** Resolution (page points to pixels, in pixels per inch) from which 1-bit keeps text as legible as gray. */
export const MONO_FROM_PPI = 290;
/** Rows sampled at most: every row is read on small pages, every k-th on large ones. */
const SAMPLED_ROWS = 1100;
const BLOCK = 16;

/** Measures opaque RGBA (or, with `channels` 3, RGB) pixels on a sample of rows (cost: about one pass over a third of a 300 DPI page). */
export function measurePage(rgba: Uint8Array, width: number, height: number, channels: 3 | 4 = 4): PageStats {
  const step = Math.max(1, Math.round(height / SAMPLED_ROWS));
  const stride = width * channels;
  const blocksX = Math.ceil(width / BLOCK);
  // Per block of the current block row: sampled pixels, mid-tone pixels, and their lightest and darkest.
  const count = new Uint32Array(blocksX);
  const mid = new Uint32Array(blocksX);
  const low = new Uint8Array(blocksX);
  const high = new Uint8Array(blocksX);
  // Boyer-Moore majority vote over each block's mid-tones: a large final count means one tone dominates (a fill).
  const candidate = new Uint8Array(blocksX);
  const votes = new Uint32Array(blocksX);
  let blocks = 0;
  let photoBlocks = 0;
  // Every sampled pixel counts in its block: a block's count is its width times the rows sampled in its block row.
  let rowsInBlockRow = 0;
  const closeBlockRow = (): void => {
    for (let b = 0; b < blocksX; b++) count[b] = rowsInBlockRow * Math.min(BLOCK, width - b * BLOCK);
    rowsInBlockRow = 0;
    for (let b = 0; b < blocksX; b++) {
      if (count[b] === 0) continue;
      blocks++;
      if (mid[b]! >= count[b]! * 0.75 && high[b]! - low[b]! >= 3 && votes[b]! < mid[b]! * 0.3) photoBlocks++;
    }
    votes.fill(0);
    mid.fill(0);
    low.fill(255);
    high.fill(0);
  };
  low.fill(255);
  let sampled = 0;
  let colourful = 0;
  let tint = 0;
  let smooth = 0;
  let blockRow = 0;
  const words = pixelWords(rgba);
  const whiteRow = words ? whiteRows(rgba, stride) : undefined;
  for (let row = 0; row < height; row += step) {
    if (Math.floor(row / BLOCK) !== blockRow) {
      closeBlockRow();
      blockRow = Math.floor(row / BLOCK);
    }
    rowsInBlockRow++;
    if (whiteRow?.(row)) {
      // A white row (by a native compare: nearly half of a text page's) counts only as sampled pixels.
      sampled += width;
      continue;
    }
    const start = row * stride;
    const above = row > 0 ? start - stride : -1;
    let left = -1; // luminance of the pixel to the left
    for (let i = start, x = 0, p = row * width; x < width; x++, i += channels, p++) {
      // Four white pixels (four pixels in `channels` aligned words) change nothing but `left`.
      if (words && (p & 3) === 0 && x + 4 <= width && whiteGroup(words, p, channels)) {
        left = 255;
        x += 3;
        i += 3 * channels;
        p += 3;
        continue;
      }
      const r = rgba[i]!;
      const g = rgba[i + 1]!;
      const b = rgba[i + 2]!;
      const max = r > g ? (r > b ? r : b) : g > b ? g : b;
      const min = r < g ? (r < b ? r : b) : g < b ? g : b;
      if (max - min > 24) colourful++;
      const y = (r * 77 + g * 150 + b * 29) >> 8;
      const block = (x / BLOCK) | 0;
      if (y >= 24 && y < 232) {
        mid[block]!++;
        if (y < low[block]!) low[block] = y;
        if (y > high[block]!) high[block] = y;
        if (votes[block] === 0) {
          candidate[block] = y;
          votes[block] = 1;
        } else if (candidate[block] === y) {
          votes[block]!++;
        } else {
          votes[block]!--;
        }
      }
      if (y >= 16 && y < 240 && left >= 16 && left < 240 && y !== left && y - left <= 2 && left - y <= 2) smooth++;
      if (y >= 16 && y < 240 && y === left && above >= 0) {
        const j = above + x * channels;
        if (((rgba[j]! * 77 + rgba[j + 1]! * 150 + rgba[j + 2]! * 29) >> 8) === y) tint++;
      }
      left = y;
    }
    sampled += width;
  }
  closeBlockRow();
  const n = Math.max(1, sampled);
  return { colourful: colourful / n, photo: photoBlocks / Math.max(1, blocks), tint: tint / n, smooth: smooth / n };
}

/**
 * Picks the encoding that is smallest at (visually) equal quality:
 * - gray text and line art: 1-bit at print resolution, 16-level gray PNG below it or when it has tints;
 * - gray pages with photographs or smooth shading: 8-bit gray PNG or JPEG, whichever is smaller (the
 *   encoder tries both: PNG wins on upscaled low-resolution images, JPEG on real photographs);
 * - colour photographs: JPEG (RGB PNG is several times larger there, and slow to try);
 * - colour line art: lossless RGB PNG or JPEG, whichever is smaller (the encoder tries both).
 */
export function chooseEncoding(stats: PageStats, options: { ppi: number; gray: boolean }): AutoEncoding {
  const gray = options.gray || stats.colourful < GRAY_BELOW;
  if (stats.photo >= PHOTO_FROM) return gray ? "gray-smallest" : "rgb-jpeg";
  if (!gray) return "rgb-smallest";
  if (stats.smooth >= SMOOTH_FROM) return "gray-smallest";
  return options.ppi >= MONO_FROM_PPI && stats.tint < TINT_BELOW ? "mono" : "gray4";
}
