/**
 * RGBA to RGB in place. The canvas gives RGBA; handed to sharp as such, libvips drops the alpha
 * band in its own pass before the JPEG or PNG encoder: on a 62 M pixel band of tracemonkey page 1 at
 * 600 DPI that pass cost about 150 ms of CPU on a second thread of the worker, the packing here
 * 80 ms on the worker's own, and the encoded bytes are the same. The page is opaque (drawn on the
 * background), so the alpha byte carries nothing.
 */
import { endianness } from "node:os";

const LITTLE_ENDIAN = endianness() === "LE";

/** Packs `rgba`'s pixels as RGB into its own first three quarters; returns that part (a view of the same memory). */
export function packRgb(rgba: Buffer): Buffer {
  const pixels = rgba.length >> 2;
  let done = 0;
  if (LITTLE_ENDIAN && rgba.byteOffset % 4 === 0) {
    // Four pixels (four 32-bit words, A B G R from the top byte down) become three words.
    const words = new Uint32Array(rgba.buffer, rgba.byteOffset, pixels);
    const blocks = pixels >> 2;
    for (let i = 0, o = 0; i < blocks * 4; i += 4, o += 3) {
      const p0 = words[i]!;
      const p1 = words[i + 1]!;
      const p2 = words[i + 2]!;
      const p3 = words[i + 3]!;
      words[o] = (p0 & 0xffffff) | (p1 << 24);
      words[o + 1] = ((p1 >>> 8) & 0xffff) | (p2 << 16);
      words[o + 2] = ((p2 >>> 16) & 0xff) | (p3 << 8);
    }
    done = blocks * 4;
  }
  for (let i = done * 4, o = done * 3; i < pixels * 4; i += 4, o += 3) {
    rgba[o] = rgba[i]!;
    rgba[o + 1] = rgba[i + 1]!;
    rgba[o + 2] = rgba[i + 2]!;
  }
  return rgba.subarray(0, pixels * 3);
}
