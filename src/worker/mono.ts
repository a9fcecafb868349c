/**
 * A rendered page's 1-bit pixels for G4, the same bits as sharp's `toColourspace("b-w").threshold(t)`
 * without converting the whole page in libvips. That conversion goes through linear light and cost
 * ~100 ms of CPU per 300 DPI page (twice the page's JPEG); a text page has few distinct colours, so
 * libvips converts only those (each once, in a one-row image: the operation is per pixel) and the
 * page is thresholded here through the results: ~25 ms.
 */
import sharp from "sharp";
import type { BlackBitmap } from "../codecs/ccitt/g4.js";
import { thinRule } from "../codecs/thin-rule.js";
import { pixelWords, whiteRows } from "../codecs/white.js";

/** Distinct non-gray colours from which the page is left to libvips whole (photographs, gradients). */
const MAX_COLOURS = 1 << 16;

/** The gray (0-255) of each neutral level r = g = b, as libvips computes it; made once per process. */
let neutral: Promise<Uint8Array> | undefined;

/** libvips' gray of each RGB triplet in `rgb`. */
async function grayOf(rgb: Uint8Array, count: number): Promise<Uint8Array> {
  const gray = await sharp(rgb, { raw: { width: count, height: 1, channels: 3 } }).toColourspace("b-w").raw().toBuffer();
  if (gray.length !== count) throw new Error(`Expected ${count} gray pixels from libvips, got ${gray.length}`);
  return gray;
}

/** A page's 1-bit pixels, and whether a light rule would be lost (see {@link monoBits}). */
export interface MonoBits {
  /** Undefined when the page has more than {@link MAX_COLOURS} distinct colours or more than a quarter of its pixels in colour, or when a light rule was found. */
  bits: BlackBitmap | undefined;
  /** A thin rule of a neutral gray that the threshold turns white (looked for only when asked). */
  losesLightRule: boolean;
}

/**
 * The pixels (RGB or RGBA, opaque) as a bitmap in which a pixel whose gray is below `threshold` is
 * black; undefined when the page has more than {@link MAX_COLOURS} distinct colours or more than a
 * quarter of its pixels in colour (the caller then converts it whole).
 */
export async function blackBitmap(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, threshold: number): Promise<BlackBitmap | undefined> {
  return (await monoBits(pixels, width, height, channels, threshold, false)).bits;
}

/**
 * {@link blackBitmap}, and with `findRules` whether 1-bit at `threshold` would drop a thin rule: a
 * neutral pixel light enough to turn white (yet not paper: under 240) on a ridge that runs on
 * (codecs/thin-rule.ts), a gray table rule or box edge. `auto` then keeps the page in 16 gray levels
 * (and, in a PDF, tries layers, which keep it). Looked for in the same pass as the bits, which visits
 * every pixel that is not white; the first rule found ends it.
 */
export async function monoBits(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, threshold: number, findRules: boolean): Promise<MonoBits> {
  neutral ??= grayOf(Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3)), 256);
  const levels = await neutral;
  // Per neutral level: DARK when its gray is below the threshold, LIGHT when it turns white but is not paper.
  const kind = new Uint8Array(256);
  for (let v = 0; v < 256; v++) kind[v] = levels[v]! < threshold ? DARK : findRules && v < 240 ? LIGHT : 0;
  const scan = scanPixels(pixels, width, height, channels, kind);
  if (scan === RULE) return { bits: undefined, losesLightRule: true };
  // Past the colour limits the scan stopped early: the rule search, when asked for, goes on alone.
  if (!scan) return { bits: undefined, losesLightRule: findRules && findLightRule(pixels, width, height, channels, kind) };
  const { black, colours, coloured, count } = scan;
  if (count > 0) {
    const rowBytes = (width + 7) >> 3;
    const rgb = new Uint8Array(colours.size * 3);
    for (const [key, at] of colours) rgb.set([key >>> 16, (key >>> 8) & 0xff, key & 0xff], at * 3);
    const gray = await grayOf(rgb, colours.size);
    for (let k = 0; k < count; k++) {
      const p = coloured[k]!;
      const i = p * channels;
      if (gray[colours.get((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!)!]! < threshold) setBlack(black, rowBytes, width, p);
    }
  }
  return { bits: { width, height, black }, losesLightRule: false };
}

/** `kind` of a neutral level: black in 1-bit (the bit of a byte's first pixel, shifted into place). */
const DARK = 0x80;
/** `kind` of a neutral level: white in 1-bit but not paper, so that a thin rule of it would be lost. */
const LIGHT = 0x01;
/** What {@link scanPixels} returns when it finds a light rule. */
const RULE = "rule";

/** Whether the neutral pixel at (x, y), of a LIGHT level, lies on a thin rule along its row or its column. */
function lightRuleAt(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, x: number, y: number): boolean {
  const i = (y * width + x) * channels;
  const r = pixels[i]!;
  // On a rule, the pixel before along it has the same level; on most anti-aliased edges it has not.
  if (x > 0 && r === pixels[i - channels] && thinRule(pixels, width, height, channels, x, y, true)) return true;
  return y > 0 && r === pixels[i - width * channels] && thinRule(pixels, width, height, channels, x, y, false);
}

/** The rule search alone, for a page the scan gave up on (many colours). */
function findLightRule(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, kind: Uint8Array): boolean {
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += channels) {
      const r = pixels[i]!;
      if ((kind[r]! & LIGHT) !== 0 && r === pixels[i + 1] && r === pixels[i + 2] && lightRuleAt(pixels, width, height, channels, x, y)) return true;
    }
  }
  return false;
}

/** What the scan of a page found: the neutral pixels' bits, and the pixels in colour with their distinct colours. */
interface Scan {
  black: Uint8Array;
  colours: Map<number, number>;
  coloured: Int32Array;
  count: number;
}

/**
 * Sets the bits of the neutral pixels that `kind` makes DARK and lists the pixels in colour;
 * undefined past {@link MAX_COLOURS} colours or a quarter of the page in colour; RULE, at once, at a
 * LIGHT pixel on a thin rule. A function of its own, not a loop after an `await`: V8 optimizes that
 * one less (2x slower here).
 */
function scanPixels(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, kind: Uint8Array): Scan | undefined | typeof RULE {
  const rowBytes = (width + 7) >> 3;
  const black = new Uint8Array(rowBytes * height);
  const colours = new Map<number, number>();
  const maxColoured = (width * height) >> 2;
  let coloured = new Int32Array(4096); // indices of the pixels in colour, decided once libvips has their gray
  let count = 0;
  let stop: undefined | typeof RULE;
  /** Records pixel p, in colour, for after libvips has its gray; false when that passes a limit. */
  const colour = (p: number): boolean => {
    const i = p * channels;
    const key = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
    if (!colours.has(key)) {
      if (colours.size >= MAX_COLOURS) return false;
      colours.set(key, colours.size);
    }
    if (count === coloured.length) {
      if (count >= maxColoured) return false;
      const grown = new Int32Array(count * 2);
      grown.set(coloured);
      coloured = grown;
    }
    coloured[count++] = p;
    return true;
  };
  /** Pixel p (column x, row y) in colour or of a LIGHT level (its `kind`, -1 for colour); false to stop. */
  const other = (k: number, p: number, x: number, y: number): boolean => {
    if (k < 0) return colour(p);
    if (!lightRuleAt(pixels, width, height, channels, x, y)) return true;
    stop = RULE;
    return false;
  };
  // Row by row (no division per pixel). Opaque white (most of a page), when the buffer allows it: a
  // white row is skipped by a native compare, and within a row four pixels at a time (`channels`
  // aligned 32-bit words, indexed directly). 43 -> 27 ms of CPU on a 300 DPI page of the manual.
  const words = pixelWords(pixels);
  const skipWhite = words !== undefined && kind[255] === 0;
  const whiteRow = skipWhite ? whiteRows(pixels, width * channels) : undefined;
  for (let y = 0; y < height; y++) {
    if (whiteRow?.(y)) continue;
    const row = y * rowBytes;
    const p0 = y * width;
    let x = 0;
    if (skipWhite) {
      for (const head = Math.min(width, (4 - (p0 & 3)) & 3); x < head; x++) {
        const k = neutralPixel(pixels, (p0 + x) * channels, x, black, row, kind);
        if ((k & ~DARK) !== 0 && !other(k, p0 + x, x, y)) return stop;
      }
      for (let w = ((p0 + x) >> 2) * channels; x + 4 <= width; x += 4, w += channels) {
        if ((words[w]! & words[w + 1]! & words[w + 2]! & (channels === 3 ? -1 : words[w + 3]!)) === -1) continue;
        // The group's four bits gathered (pixel j at 0x80 >> j), then set with one or two byte writes.
        const p = p0 + x;
        let bits = 0;
        for (let j = 0, i = p * channels; j < 4; j++, i += channels) {
          const r = pixels[i]!;
          if (r !== pixels[i + 1] || r !== pixels[i + 2]) {
            if (!colour(p + j)) return stop;
            continue;
          }
          const k = kind[r]!;
          bits |= (k & DARK) >> j;
          if ((k & LIGHT) !== 0 && lightRuleAt(pixels, width, height, channels, x + j, y)) return RULE;
        }
        if (bits !== 0) {
          const shift = x & 7;
          const at = row + (x >> 3);
          black[at]! |= bits >> shift;
          if (shift > 4) black[at + 1]! |= (bits << (8 - shift)) & 0xff;
        }
      }
    }
    for (; x < width; x++) {
      const k = neutralPixel(pixels, (p0 + x) * channels, x, black, row, kind);
      if ((k & ~DARK) !== 0 && !other(k, p0 + x, x, y)) return stop;
    }
  }
  return { black, colours, coloured, count };
}

/**
 * Thresholds a neutral pixel (r = g = b) at byte `i` of `pixels`, column x of the packed row at
 * `row`, and returns its level's `kind`; -1, and nothing set, for a pixel in colour. Branch-free on
 * the level: anti-aliased edges would mispredict.
 */
function neutralPixel(pixels: Uint8Array, i: number, x: number, black: Uint8Array, row: number, kind: Uint8Array): number {
  const r = pixels[i]!;
  if (r !== pixels[i + 1] || r !== pixels[i + 2]) return -1;
  const k = kind[r]!;
  black[row + (x >> 3)]! |= (k & DARK) >> (x & 7);
  return k;
}

/** Sets the bit of pixel `p` (row-major index) in packed rows of `rowBytes`. */
function setBlack(black: Uint8Array, rowBytes: number, width: number, p: number): void {
  const y = (p / width) | 0;
  const x = p - y * width;
  black[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
}
