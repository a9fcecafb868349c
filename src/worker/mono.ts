/**
 * A rendered page's 1-bit pixels for G4, the same bits as sharp's `toColourspace("b-w").threshold(t)`
 * without converting the whole page in libvips. That conversion goes through linear light and cost
 * ~100 ms of CPU per 300 DPI page (twice the page's JPEG); a text page has few distinct colours, so
 * libvips converts only those (each once, in a one-row image: the operation is per pixel) and the
 * page is thresholded here through the results: ~25 ms.
 */
import sharp from "sharp";
import type { BlackBitmap } from "../codecs/ccitt/g4.js";
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
  // A neutral level is black when its gray is below the threshold.
  const dark = new Uint8Array(256);
  for (let v = 0; v < 256; v++) dark[v] = levels[v]! < threshold ? 1 : 0;
  const rowBytes = (width + 7) >> 3;
  const black = new Uint8Array(rowBytes * height);
  const colours = new Map<number, number>();
  const maxColoured = (width * height) >> 2;
  let coloured = new Int32Array(4096); // indices of the pixels in colour, decided once libvips has their gray
  let count = 0;
  // Opaque white (most of a page) is skipped four pixels at a time (`channels` aligned 32-bit words) when the buffer allows it.
  const words = pixelWords(pixels);
  const skipWhite = words !== undefined && dark[255] === 0;
  const pixelCount = width * height;
  for (let group = 0; group < pixelCount; group += 4) {
    if (skipWhite && group + 4 <= pixelCount && whiteGroup(words, group, channels)) continue;
    for (let p = group, end = Math.min(group + 4, pixelCount); p < end; p++) {
      const i = p * channels;
      const r = pixels[i]!;
      const g = pixels[i + 1]!;
      const b = pixels[i + 2]!;
      if (r === g && g === b) {
        if (dark[r]) setBlack(black, rowBytes, width, p);
        continue;
      }
      const key = (r << 16) | (g << 8) | b;
      if (!colours.has(key)) {
        if (colours.size >= MAX_COLOURS) return undefined;
        colours.set(key, colours.size);
      }
      if (count === coloured.length) {
        if (count >= maxColoured) return undefined;
        const grown = new Int32Array(count * 2);
        grown.set(coloured);
        coloured = grown;
      }
      coloured[count++] = p;
    }
  }
  if (count === 0) return { width, height, black };
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

/** Sets the bit of pixel `p` (row-major index) in packed rows of `rowBytes`. */
function setBlack(black: Uint8Array, rowBytes: number, width: number, p: number): void {
  const y = (p / width) | 0;
  const x = p - y * width;
  black[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
}
