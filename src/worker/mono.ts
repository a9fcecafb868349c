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
import { pixelWords, whiteGroup } from "../codecs/white.js";

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

/**
 * The pixels (RGB or RGBA, opaque) as a bitmap in which a pixel whose gray is below `threshold` is
 * black; undefined when the page has more than {@link MAX_COLOURS} distinct colours or more than a
 * quarter of its pixels in colour (the caller then converts it whole).
 */
export async function blackBitmap(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, threshold: number): Promise<BlackBitmap | undefined> {
  neutral ??= grayOf(Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3)), 256);
  const levels = await neutral;
  // A neutral level's bit for the first pixel of a byte (0x80) when its gray is below the threshold, else 0.
  const dark = new Uint8Array(256);
  for (let v = 0; v < 256; v++) dark[v] = levels[v]! < threshold ? 0x80 : 0;
  const scan = scanPixels(pixels, width, height, channels, dark);
  if (!scan) return undefined;
  const { black, colours, coloured, count } = scan;
  if (count === 0) return { width, height, black };
  const rowBytes = (width + 7) >> 3;
  const rgb = new Uint8Array(colours.size * 3);
  for (const [key, at] of colours) rgb.set([key >>> 16, (key >>> 8) & 0xff, key & 0xff], at * 3);
  const gray = await grayOf(rgb, colours.size);
  for (let k = 0; k < count; k++) {
    const p = coloured[k]!;
    const i = p * channels;
    if (gray[colours.get((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!)!]! < threshold) setBlack(black, rowBytes, width, p);
  }
  return { width, height, black };
}

/**
 * Whether 1-bit at `threshold` would drop a thin rule: a neutral pixel light enough to turn white
 * (yet not paper: under 240) on a ridge that runs on (codecs/thin-rule.ts): a gray table rule or box
 * edge. `auto` then keeps the page in 16 gray levels (and, in a PDF, tries layers, which keep it).
 * One pass past white four pixels at a time; the first rule found ends it.
 */
export async function losesLightRule(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, threshold: number): Promise<boolean> {
  neutral ??= grayOf(Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3)), 256);
  const levels = await neutral;
  const light = new Uint8Array(256);
  for (let v = 0; v < 240; v++) light[v] = levels[v]! >= threshold ? 1 : 0;
  return findLightRule(pixels, width, height, channels, light);
}

/** See losesLightRule; `light[v]`: level v turns white but is not paper. */
function findLightRule(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, light: Uint8Array): boolean {
  const words = pixelWords(pixels);
  const stride = width * channels;
  for (let y = 1; y + 1 < height; y++) {
    const p0 = y * width;
    for (let x = 1; x + 1 < width; x++) {
      const p = p0 + x;
      if (words && (p & 3) === 0 && x + 4 < width && whiteGroup(words, p, channels)) {
        x += 3;
        continue;
      }
      const i = p * channels;
      const r = pixels[i]!;
      if (light[r] === 0 || r !== pixels[i + 1] || r !== pixels[i + 2]) continue;
      if (r === pixels[i - channels] && thinRule(pixels, width, height, channels, x, y, true)) return true;
      if (r === pixels[i - stride] && thinRule(pixels, width, height, channels, x, y, false)) return true;
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
 * Sets the bits of the neutral pixels that `dark` (per level: 0x80 or 0) makes black, and lists the
 * pixels in colour; undefined past {@link MAX_COLOURS} colours or a quarter of the page in colour.
 * A function of its own, not a loop after an `await`: V8 optimizes that one less (2x slower here).
 */
function scanPixels(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, dark: Uint8Array): Scan | undefined {
  const rowBytes = (width + 7) >> 3;
  const black = new Uint8Array(rowBytes * height);
  const colours = new Map<number, number>();
  const maxColoured = (width * height) >> 2;
  let coloured = new Int32Array(4096); // indices of the pixels in colour, decided once libvips has their gray
  let count = 0;
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
  // Row by row (no division per pixel); within a row, opaque white (most of a page) is skipped four
  // pixels at a time (`channels` aligned 32-bit words) when the buffer allows it. 24 -> 14 ms of CPU on a 300 DPI text page.
  const words = pixelWords(pixels);
  const skipWhite = words !== undefined && dark[255] === 0;
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    const p0 = y * width;
    let x = 0;
    if (skipWhite) {
      for (const head = Math.min(width, (4 - (p0 & 3)) & 3); x < head; x++) {
        if (!neutralPixel(pixels, (p0 + x) * channels, x, black, row, dark) && !colour(p0 + x)) return undefined;
      }
      for (; x + 4 <= width; x += 4) {
        const p = p0 + x;
        if (whiteGroup(words, p, channels)) continue;
        const i = p * channels;
        for (let k = 0; k < 4; k++) {
          if (!neutralPixel(pixels, i + k * channels, x + k, black, row, dark) && !colour(p + k)) return undefined;
        }
      }
    }
    for (; x < width; x++) {
      if (!neutralPixel(pixels, (p0 + x) * channels, x, black, row, dark) && !colour(p0 + x)) return undefined;
    }
  }
  return { black, colours, coloured, count };
}

/**
 * Thresholds a neutral pixel (r = g = b) at byte `i` of `pixels`, column x of the packed row at
 * `row`; false, and nothing set, for a pixel in colour. Branch-free on the level: anti-aliased edges would mispredict.
 */
function neutralPixel(pixels: Uint8Array, i: number, x: number, black: Uint8Array, row: number, dark: Uint8Array): boolean {
  const r = pixels[i]!;
  if (r !== pixels[i + 1] || r !== pixels[i + 2]) return false;
  black[row + (x >> 3)]! |= dark[r]! >> (x & 7);
  return true;
}

/** Sets the bit of pixel `p` (row-major index) in packed rows of `rowBytes`. */
function setBlack(black: Uint8Array, rowBytes: number, width: number, p: number): void {
  const y = (p / width) | 0;
  const x = p - y * width;
  black[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
}
