import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createBitmap, setPixel, type Bitmap } from "../../src/codecs/jbig2/bitmap.js";
import { embeddedStream, encodeGenericPage, encodePage, fileForm } from "../../src/codecs/jbig2/page.js";
import { componentHash, extractSymbols } from "../../src/codecs/jbig2/symbols.js";
import { CORPUS } from "../helpers/cli.js";
import { collidingGlyphs, firstDifference, jbig2dec, noise, renderMono, stamp } from "../helpers/jbig2.js";

const ROOT = join(import.meta.dirname, "../..");

function roundTrip(bitmap: Bitmap): Uint8Array {
  const page = encodePage(extractSymbols(bitmap));
  const decoded = jbig2dec(fileForm(page));
  expect(firstDifference(decoded, bitmap)).toBeUndefined();
  return embeddedStream(page);
}

function instanceCount(bitmap: Bitmap): { classes: number; instances: number } {
  const { classes } = extractSymbols(bitmap);
  return { classes: classes.length, instances: classes.reduce((n, k) => n + k.positions.length / 2, 0) };
}

describe("JBIG2 symbol coding (decoded by jbig2dec)", () => {
  it("reconstructs rendered text pages exactly, smaller than one generic region", () => {
    for (const [pdf, page] of [
      [join(ROOT, "fixtures/sample.pdf"), 1],
      [join(CORPUS, "tracemonkey.pdf"), 1],
      [join(CORPUS, "tracemonkey.pdf"), 4],
    ] as const) {
      const bitmap = renderMono(pdf, page, 300);
      const { classes, instances } = instanceCount(bitmap);
      expect(classes).toBeGreaterThan(50);
      expect(instances).toBeGreaterThan(classes); // letters repeat: symbol coding is in use
      const symbolBytes = roundTrip(bitmap).length;
      expect(symbolBytes).toBeLessThan(embeddedStream(encodeGenericPage(bitmap)).length);
    }
  });

  it("keeps glyphs that differ in one pixel apart (exact equality, never a look-alike)", () => {
    const bitmap = createBitmap(40, 12);
    const glyph = (x0: number, odd: boolean): void => {
      for (let y = 1; y < 10; y++) for (let x = 0; x < 6; x++) if (x === 0 || x === 5 || y === 1 || y === 9 || y === 5) setPixel(bitmap, x0 + x, y);
      if (odd) setPixel(bitmap, x0 + 1, 4);
    };
    glyph(1, false);
    glyph(10, true);
    glyph(19, false);
    glyph(28, true);
    expect(instanceCount(bitmap)).toEqual({ classes: 2, instances: 4 });
    roundTrip(bitmap);
    // Glyphs whose hashes collide share a bucket: only the full comparison keeps them apart.
    const [a, b] = collidingGlyphs((glyph) => componentHash(glyph)!);
    expect(componentHash(a)).toBe(componentHash(b));
    const page = createBitmap(100, 20);
    stamp(page, a, 1, 1);
    stamp(page, b, 20, 1);
    stamp(page, a, 40, 1);
    stamp(page, b, 60, 1);
    expect(instanceCount(page)).toEqual({ classes: 2, instances: 4 });
    roundTrip(page);
  });

  it("codes edge cases: empty, one pixel, full black, odd widths, 1 x 100000, 100000 x 1", () => {
    roundTrip(createBitmap(50, 30));
    const one = createBitmap(9, 9);
    setPixel(one, 4, 4);
    roundTrip(one);
    const black = createBitmap(33, 20);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 33; x++) setPixel(black, x, y);
    roundTrip(black);
    const bigBlack = createBitmap(700, 400);
    bigBlack.data.fill(0xff);
    for (let y = 0; y < 400; y++) bigBlack.data[y * bigBlack.stride + bigBlack.stride - 1] = 0xf0; // 700 = 87 bytes + 4 bits
    roundTrip(bigBlack);
    for (const width of [1, 7, 9, 33]) roundTrip(noise(width, 50, 0.2, width));
    roundTrip(noise(1, 100_000, 0.3, 3));
    roundTrip(noise(100_000, 1, 0.3, 4));
  });

  it("falls back to generic coding on noise and dense dots, and still reconstructs them", () => {
    const dense = noise(1000, 1000, 0.5, 11);
    expect(extractSymbols(dense, { maxRuns: 100_000, maxComponents: 60_000, maxSymbolSize: 300 }).classes).toHaveLength(0);
    roundTrip(dense);
    const dots = createBitmap(400, 400);
    for (let y = 0; y < 400; y += 2) for (let x = 0; x < 400; x += 2) setPixel(dots, x, y);
    expect(instanceCount(dots)).toEqual({ classes: 1, instances: 40_000 }); // within the default limits: one symbol
    roundTrip(dots);
    expect(extractSymbols(dots, { maxRuns: 1_000_000, maxComponents: 30_000, maxSymbolSize: 300 }).classes).toHaveLength(0);
  });
});
