import { describe, expect, it } from "vitest";
import { splitLayers } from "../../src/codecs/layers/split.js";
import { measurePage } from "../../src/worker/classify.js";
import { blackBitmap } from "../../src/worker/mono.js";

// The page scans skip opaque white four pixels at a time when the pixel buffer is 4-byte aligned
// (codecs/white.ts) and go pixel by pixel otherwise: both must give the same result, whatever the
// width (groups of four straddle rows) and wherever the ink falls within a group.

const WIDTH = 203; // not a multiple of 4: a group of four pixels starts at every offset in some row
const HEIGHT = 67;

/** Text-like ink on white: black bars with gray edges, a blue link, a tint box, and single pixels at every offset in a group. */
function paint(x: number, y: number): [number, number, number] {
  if (y >= 50 && y < 60 && x >= 20 && x < 120) return [237, 237, 245];
  if (y % 17 === 3) return x % 4 === y % 4 ? [0, 0, 0] : [255, 255, 255];
  if (y % 17 >= 8) return [255, 255, 255];
  const i = (x + y) % 9;
  if (y < 30) return i < 3 ? [0, 0, 0] : i === 3 ? [128, 128, 128] : [255, 255, 255];
  return i < 2 ? [0, 0, 204] : i === 2 ? [120, 120, 230] : [255, 255, 255];
}

/** The page with `channels` 3 or 4, at byte offset 0 (aligned) and 1 (not) of its buffer. */
function pages(channels: 3 | 4): [Uint8Array, Uint8Array] {
  const bytes = WIDTH * HEIGHT * channels;
  const aligned = new Uint8Array(bytes);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * channels;
      aligned.set(paint(x, y), i);
      if (channels === 4) aligned[i + 3] = 255;
    }
  }
  const unaligned = new Uint8Array(bytes + 1).subarray(1);
  unaligned.set(aligned);
  return [aligned, unaligned];
}

describe("skipping white four pixels at a time", () => {
  for (const channels of [3, 4] as const) {
    it(`changes nothing: page statistics, 1-bit pixels and layers, ${channels} channels`, async () => {
      const [aligned, unaligned] = pages(channels);
      expect(aligned.byteOffset % 4).toBe(0);
      expect(unaligned.byteOffset % 4).not.toBe(0);
      expect(measurePage(aligned, WIDTH, HEIGHT, channels)).toEqual(measurePage(unaligned, WIDTH, HEIGHT, channels));
      for (const threshold of [128, 176]) {
        const a = await blackBitmap(aligned, WIDTH, HEIGHT, channels, threshold);
        const u = await blackBitmap(unaligned, WIDTH, HEIGHT, channels, threshold);
        expect(a).toBeDefined();
        expect(Buffer.from(a!.black).equals(Buffer.from(u!.black))).toBe(true);
      }
      const a = splitLayers(aligned, WIDTH, HEIGHT, channels);
      expect("layers" in a && a.layers.length).toBeGreaterThanOrEqual(2);
      expect(a).toEqual(splitLayers(unaligned, WIDTH, HEIGHT, channels));
    });
  }
});
