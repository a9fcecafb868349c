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
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  const u32 = (value: number): void => {
    view.setUint32(pos, value, true);
    pos += 4;
  };
  u32(MAGIC);
  u32(VERSION);
  u32(page.width);
  u32(page.height);
  u32(page.classes.length);
  for (const { bitmap, positions } of page.classes) {
    u32(bitmap.width);
    u32(bitmap.height);
    u32(positions.length / 2);
    const rowBytes = (bitmap.width + 7) >> 3;
    for (let y = 0; y < bitmap.height; y++) {
      out.set(bitmap.data.subarray(y * bitmap.stride, y * bitmap.stride + rowBytes), pos);
      pos += rowBytes;
    }
    for (const value of positions) {
      view.setInt32(pos, value, true);
      pos += 4;
    }
  }
  u32(page.residual ? page.residual.length : NO_RESIDUAL);
  if (page.residual) out.set(page.residual, pos);
  return out;
}

/** Reads what serializePageSymbols wrote, checking every size against the bytes there are. */
export function deserializePageSymbols(input: Uint8Array): PageSymbols {
  // A plain view, so that slice() copies (Buffer's slice() shares the memory, Node's pool included).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > bytes.length) throw new PageSymbolsFormatError("Truncated or corrupt page symbols file");
  };
  const u32 = (): number => {
    need(4);
    const value = view.getUint32(pos, true);
    pos += 4;
    return value;
  };
  if (u32() !== MAGIC || u32() !== VERSION) throw new PageSymbolsFormatError("Not a page symbols file of this version");
  const width = u32();
  const height = u32();
  if (width < 1 || height < 1) throw new PageSymbolsFormatError("Empty page in page symbols file");
  const count = u32();
  const classes: SymbolClass[] = [];
  for (let k = 0; k < count; k++) {
    const w = u32();
    const h = u32();
    const n = u32();
    if (w < 1 || h < 1) throw new PageSymbolsFormatError("Empty symbol in page symbols file");
    const rowBytes = (w + 7) >> 3;
    need(rowBytes * h + n * 8);
    const bitmap = bitmapFromPacked(w, h, bytes.slice(pos, pos + rowBytes * h));
    pos += rowBytes * h;
    const positions = new Int32Array(n * 2);
    for (let i = 0; i < n * 2; i++, pos += 4) positions[i] = view.getInt32(pos, true);
    for (let i = 0; i < n * 2; i += 2) {
      if (!inside(positions[i]!, positions[i + 1]!, w, h, width, height)) throw new PageSymbolsFormatError("Symbol drawn outside the page in page symbols file");
    }
    classes.push({ bitmap, positions });
  }
  const residualLength = u32();
  let residual: Uint8Array | null = null;
  if (residualLength !== NO_RESIDUAL) {
    need(residualLength);
    residual = bytes.slice(pos, pos + residualLength);
    // The generic region's information field (T.88 7.4.1): width, height, x, y (big-endian), flags.
    const region = new DataView(residual.buffer);
    if (residualLength < 18 || !inside(region.getUint32(8), region.getUint32(12), region.getUint32(0), region.getUint32(4), width, height)) {
      throw new PageSymbolsFormatError("Residual region outside the page in page symbols file");
    }
    pos += residualLength;
  }
  if (pos !== bytes.length) throw new PageSymbolsFormatError("Trailing bytes in page symbols file");
  return { width, height, classes, residual };
}

/** True when a `w` x `h` box at (x, y) lies within a page of `width` x `height` (a damaged file may say anything). */
function inside(x: number, y: number, w: number, h: number, width: number, height: number): boolean {
  return x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= width && y + h <= height;
}
