/**
 * A 1-bit image as JBIG2 sees it: 1 is black, rows top to bottom, each row packed most significant bit
 * first into `stride` bytes. Invariant every function here relies on: the padding bits after `width`
 * in each row's last byte are 0 (row comparison and hashing read whole bytes).
 */
export interface Bitmap {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly data: Uint8Array;
}

/** A white bitmap. */
export function createBitmap(width: number, height: number): Bitmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Expected a bitmap of at least 1 x 1 integer pixels, got ${width} x ${height}`);
  }
  const stride = (width + 7) >> 3;
  return { width, height, stride, data: new Uint8Array(stride * height) };
}

/**
 * Wraps packed rows (PBM P4 layout, 1 = black) as a bitmap, clearing the padding bits in place so the
 * invariant holds whatever the producer left there.
 */
export function bitmapFromPacked(width: number, height: number, data: Uint8Array, stride = (width + 7) >> 3): Bitmap {
  if (stride < (width + 7) >> 3 || data.length < stride * height) {
    throw new RangeError(`Packed data of ${data.length} bytes is too short for ${width} x ${height} (stride ${stride})`);
  }
  const bitmap = { width, height, stride, data };
  clearPadding(bitmap);
  return bitmap;
}

function clearPadding(bitmap: Bitmap): void {
  const { width, height, stride, data } = bitmap;
  const last = (width - 1) >> 3;
  const mask = (0xff00 >> (((width - 1) & 7) + 1)) & 0xff;
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    data[row + last]! &= mask;
    for (let i = last + 1; i < stride; i++) data[row + i] = 0;
  }
}

export function getPixel(bitmap: Bitmap, x: number, y: number): number {
  return (bitmap.data[y * bitmap.stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
}

export function setPixel(bitmap: Bitmap, x: number, y: number): void {
  bitmap.data[y * bitmap.stride + (x >> 3)]! |= 0x80 >> (x & 7);
}

/** True when both bitmaps have the same size and the same pixels. */
export function bitmapsEqual(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  const rowBytes = (a.width + 7) >> 3;
  for (let y = 0; y < a.height; y++) {
    const ra = y * a.stride;
    const rb = y * b.stride;
    for (let i = 0; i < rowBytes; i++) if (a.data[ra + i] !== b.data[rb + i]) return false;
  }
  return true;
}
