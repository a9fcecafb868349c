/**
 * Skipping opaque white, most of a rendered page, four pixels at a time: four RGB pixels are three
 * aligned 32-bit words, four RGBA pixels four. For the scans over a page's pixels (worker/classify.ts, worker/mono.ts, layers/split.ts).
 */

/**
 * The pixels as 32-bit words, or undefined when the buffer is not 4-byte aligned. Signed: white is
 * -1, a small integer to V8, where an unsigned 0xffffffff is compared as a double.
 */
export function pixelWords(pixels: Uint8Array): Int32Array | undefined {
  return pixels.byteOffset % 4 === 0 ? new Int32Array(pixels.buffer, pixels.byteOffset, pixels.length >> 2) : undefined;
}

/**
 * True when pixels p .. p + 3 are white (every byte 0xff), p a multiple of 4 (their bytes are
 * `channels` words from word (p / 4) * channels, within `words`).
 */
export function whiteGroup(words: Int32Array, p: number, channels: 3 | 4): boolean {
  const w = (p >> 2) * channels;
  return (words[w]! & words[w + 1]! & words[w + 2]! & (channels === 3 ? -1 : words[w + 3]!)) === -1;
}

/**
 * A test of whether row y of `pixels` (rows of `stride` bytes) is all white (every byte 0xff), by a
 * native compare: about 1 ns a pixel against 3-7 in a JavaScript loop over words; nearly half the rows
 * of a text page are white.
 */
export function whiteRows(pixels: Uint8Array, stride: number): (y: number) => boolean {
  const view = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length);
  const white = Buffer.alloc(stride, 0xff);
  return (y) => view.compare(white, 0, stride, y * stride, y * stride + stride) === 0;
}
