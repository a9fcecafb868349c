import type { Bitmap } from "./bitmap.js";
import { MQEncoder } from "./mq-encoder.js";
import { ByteWriter, regionInformation } from "./segments.js";

/** Contexts of the generic region procedure with template 0: 16 template pixels. */
export function genericContexts(): Uint8Array {
  return new Uint8Array(1 << 16);
}

/** The nominal AT pixels of template 0 (T.88 6.2.5.3), as written in the region and dictionary headers. */
export const TEMPLATE0_AT = new Int8Array([3, -1, -3, -1, 2, -2, -2, -2]);

// SLTP, the pseudo-pixel of typical prediction, is coded in this template-0 context (T.88 6.2.5.7).
const SLTP_CONTEXT = 0x9b25;

/**
 * Codes `bitmap` with the generic region procedure (T.88 6.2.5, the encoder's side): template 0 with the
 * nominal AT pixels, no MMR, and typical prediction (TPGDON) when `typicalPrediction` is set.
 *
 * The context number packs the template pixels in the order the decoders read them (rows y-2, y-1, y;
 * left to right; the first pixel the most significant bit): the numbering matters because SLTP shares
 * the array with the pixels.
 */
export function encodeGenericBitmap(
  encoder: MQEncoder,
  contexts: Uint8Array,
  bitmap: Bitmap,
  typicalPrediction: boolean,
): void {
  const { width, height, stride, data } = bitmap;
  const rowBytes = (width + 7) >> 3;
  let previousTypical = 0;
  for (let y = 0; y < height; y++) {
    const r0 = y * stride;
    if (typicalPrediction) {
      const typical = rowEqualsPrevious(data, r0, y === 0 ? -1 : r0 - stride, rowBytes) ? 1 : 0;
      encoder.encode(contexts, SLTP_CONTEXT, typical ^ previousTypical);
      previousTypical = typical;
      if (typical) continue;
    }
    const r1 = y >= 1 ? r0 - stride : -1;
    const r2 = y >= 2 ? r0 - 2 * stride : -1;
    // Sliding windows: row y-2 over x-2..x+2, row y-1 over x-3..x+3, row y over x-4..x-1.
    let w2 = (pixel(data, r2, 0, width) << 2) | (pixel(data, r2, 1, width) << 1) | pixel(data, r2, 2, width);
    let w1 =
      (pixel(data, r1, 0, width) << 3) |
      (pixel(data, r1, 1, width) << 2) |
      (pixel(data, r1, 2, width) << 1) |
      pixel(data, r1, 3, width);
    let w0 = 0;
    for (let x = 0; x < width; x++) {
      if ((w2 | w1 | w0) === 0) {
        // White around a white pixel: the pixels up to the next black one in reach of the template
        // all have context 0 and value 0, coded as one run.
        const run = Math.min(
          nextBlack(data, r0, x, width) - x,
          nextBlack(data, r1, x + 4, width) - x - 3,
          nextBlack(data, r2, x + 3, width) - x - 2,
          width - x,
        );
        if (run >= 8) {
          encoder.encodeRun(contexts, 0, 0, run);
          x += run;
          if (x >= width) break;
          w2 = (pixel(data, r2, x - 2, width) << 4) | (pixel(data, r2, x - 1, width) << 3) | (pixel(data, r2, x, width) << 2) | (pixel(data, r2, x + 1, width) << 1) | pixel(data, r2, x + 2, width);
          w1 = 0;
          for (let i = -3; i <= 3; i++) w1 = (w1 << 1) | pixel(data, r1, x + i, width);
          w0 = 0;
        }
      }
      const bit = (data[r0 + (x >> 3)]! >> (7 - (x & 7))) & 1;
      encoder.encode(contexts, (w2 << 11) | (w1 << 4) | w0, bit);
      w2 = ((w2 << 1) & 0x1f) | pixel(data, r2, x + 3, width);
      w1 = ((w1 << 1) & 0x7f) | pixel(data, r1, x + 4, width);
      w0 = ((w0 << 1) & 0x0f) | bit;
    }
  }
}

function pixel(data: Uint8Array, row: number, x: number, width: number): number {
  if (row < 0 || x < 0 || x >= width) return 0;
  return (data[row + (x >> 3)]! >> (7 - (x & 7))) & 1;
}

// The row above the first row is white.
function rowEqualsPrevious(data: Uint8Array, row: number, previous: number, rowBytes: number): boolean {
  if (previous < 0) {
    for (let i = 0; i < rowBytes; i++) if (data[row + i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < rowBytes; i++) if (data[row + i] !== data[previous + i]) return false;
  return true;
}

/**
 * The data of an immediate lossless generic region segment (7.4.6) that places `bitmap` at (x, y) on the
 * page: region information, flags (template 0, TPGDON), the AT pixels, then the arithmetic-coded pixels.
 */
export function genericRegionData(bitmap: Bitmap, x: number, y: number): Uint8Array {
  const encoder = new MQEncoder();
  encodeGenericBitmap(encoder, genericContexts(), bitmap, true);
  const coded = encoder.finish();
  const out = new ByteWriter();
  regionInformation(out, bitmap.width, bitmap.height, x, y);
  out.u8(0b1000); // MMR 0, GBTEMPLATE 0, TPGDON 1
  for (const at of TEMPLATE0_AT) out.u8(at);
  return out.bytes(coded).toBytes();
}

/** The first black pixel at or after x in the row at byte offset `row`; past the width (where all is white) when none. */
function nextBlack(data: Uint8Array, row: number, x: number, width: number): number {
  if (row < 0) return width + 8;
  while (x < width && (x & 7) !== 0) {
    if ((data[row + (x >> 3)]! >> (7 - (x & 7))) & 1) return x;
    x++;
  }
  while (x < width && data[row + (x >> 3)] === 0) x += 8;
  while (x < width) {
    if ((data[row + (x >> 3)]! >> (7 - (x & 7))) & 1) return x;
    x++;
  }
  return width + 8;
}
