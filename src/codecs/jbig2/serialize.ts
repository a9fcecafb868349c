import { ByteReader, ByteWriter } from "../bytes.js";
import { bitmapFromPacked } from "./bitmap.js";
import type { PageSymbols, SymbolClass } from "./symbols.js";

/**
 * PageSymbols as bytes, for the file a render process leaves in the temp folder and the assembler
 * reads back (little-endian): "JB2S", version, width, height, class count; per class width, height,
 * instance count, packed rows, positions; then the residual region's length (0xffffffff: none) and bytes.
 */
const MAGIC = 0x53324a42; // "JB2S"
const VERSION = 1;
const NO_RESIDUAL = 0xffffffff;

export class PageSymbolsFormatError extends Error {
  override name = "PageSymbolsFormatError";
}

export function serializePageSymbols(page: PageSymbols): Uint8Array {
  let size = 4 + 4 + 4 + 4 + 4 + 4 + (page.residual?.length ?? 0);
  for (const k of page.classes) size += 12 + ((k.bitmap.width + 7) >> 3) * k.bitmap.height + k.positions.length * 4;
  const out = new ByteWriter(size);
  out.u32(MAGIC);
  out.u32(VERSION);
  out.u32(page.width);
  out.u32(page.height);
  out.u32(page.classes.length);
  for (const { bitmap, positions } of page.classes) {
    out.u32(bitmap.width);
    out.u32(bitmap.height);
    out.u32(positions.length / 2);
    const rowBytes = (bitmap.width + 7) >> 3;
    for (let y = 0; y < bitmap.height; y++) out.put(bitmap.data.subarray(y * bitmap.stride, y * bitmap.stride + rowBytes));
    for (const value of positions) out.i32(value);
  }
  out.u32(page.residual ? page.residual.length : NO_RESIDUAL);
  if (page.residual) out.put(page.residual);
  return out.bytes;
}

/** Reads what serializePageSymbols wrote, checking every size against the bytes there are. */
export function deserializePageSymbols(input: Uint8Array): PageSymbols {
  const read = new ByteReader(input, () => new PageSymbolsFormatError("Truncated or corrupt page symbols file"));
  if (read.u32() !== MAGIC || read.u32() !== VERSION) throw new PageSymbolsFormatError("Not a page symbols file of this version");
  const width = read.u32();
  const height = read.u32();
  if (width < 1 || height < 1) throw new PageSymbolsFormatError("Empty page in page symbols file");
  const count = read.u32();
  const classes: SymbolClass[] = [];
  for (let k = 0; k < count; k++) {
    const w = read.u32();
    const h = read.u32();
    const n = read.u32();
    if (w < 1 || h < 1) throw new PageSymbolsFormatError("Empty symbol in page symbols file");
    const rowBytes = (w + 7) >> 3;
    read.need(rowBytes * h + n * 8);
    const bitmap = bitmapFromPacked(w, h, read.take(rowBytes * h));
    const positions = new Int32Array(n * 2);
    for (let i = 0; i < n * 2; i++) positions[i] = read.i32();
    for (let i = 0; i < n * 2; i += 2) {
      if (!inside(positions[i]!, positions[i + 1]!, w, h, width, height)) throw new PageSymbolsFormatError("Symbol drawn outside the page in page symbols file");
    }
    classes.push({ bitmap, positions });
  }
  const residualLength = read.u32();
  let residual: Uint8Array | null = null;
  if (residualLength !== NO_RESIDUAL) {
    residual = read.take(residualLength);
    // The generic region's information field (T.88 7.4.1): width, height, x, y (big-endian), flags.
    const region = new DataView(residual.buffer);
    if (residualLength < 18 || !inside(region.getUint32(8), region.getUint32(12), region.getUint32(0), region.getUint32(4), width, height)) {
      throw new PageSymbolsFormatError("Residual region outside the page in page symbols file");
    }
  }
  if (!read.atEnd) throw new PageSymbolsFormatError("Trailing bytes in page symbols file");
  return { width, height, classes, residual };
}

/** True when a `w` x `h` box at (x, y) lies within a page of `width` x `height` (a damaged file may say anything). */
function inside(x: number, y: number, w: number, h: number, width: number, height: number): boolean {
  return x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= width && y + h <= height;
}
