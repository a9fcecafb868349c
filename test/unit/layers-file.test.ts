/** The layers file (codecs/layers/file.ts): what a render process writes for a layered page, checked on reading. */
import { describe, expect, it } from "vitest";
import { createBitmap, setPixel } from "../../src/codecs/jbig2/bitmap.js";
import { extractSymbols } from "../../src/codecs/jbig2/index.js";
import { deserializeLayeredSymbols, LayersFormatError, serializeLayeredSymbols, type LayeredSymbols } from "../../src/codecs/layers/file.js";

function mask(width: number, height: number): ReturnType<typeof extractSymbols> {
  const bitmap = createBitmap(width, height);
  for (let i = 0; i < Math.min(width, height); i++) setPixel(bitmap, i, i);
  return extractSymbols(bitmap);
}

const page: LayeredSymbols = {
  width: 100,
  height: 80,
  background: [250, 250, 240],
  layers: [
    { colour: [0, 0, 0], x: 10, y: 5, symbols: mask(40, 30) },
    { colour: [20, 40, 200], x: 60, y: 70, symbols: mask(40, 10) },
  ],
};

describe("layers file", () => {
  it("reads back what was written", () => {
    const read = deserializeLayeredSymbols(serializeLayeredSymbols(page));
    expect(read.width).toBe(100);
    expect(read.background).toEqual([250, 250, 240]);
    expect(read.layers.map((l) => [l.colour, l.x, l.y, l.symbols.width, l.symbols.height])).toEqual([
      [[0, 0, 0], 10, 5, 40, 30],
      [[20, 40, 200], 60, 70, 40, 10],
    ]);
    expect(read.layers[0]!.symbols.classes.length).toBe(page.layers[0]!.symbols.classes.length);
  });

  it("refuses damaged files: truncated, trailing bytes, a damaged mask, a layer outside the page", () => {
    const bytes = serializeLayeredSymbols(page);
    for (const cut of [3, 10, 20, 30, bytes.length - 1]) expect(() => deserializeLayeredSymbols(bytes.subarray(0, cut))).toThrow(LayersFormatError);
    expect(() => deserializeLayeredSymbols(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/Trailing bytes/);
    const damaged = Uint8Array.from(bytes);
    damaged[20 + 16 + 8] = 0xff; // the first mask's page width, within the symbols
    expect(() => deserializeLayeredSymbols(damaged)).toThrow(LayersFormatError);
    const outside = serializeLayeredSymbols({ ...page, layers: [{ ...page.layers[1]!, x: 61 }] });
    expect(() => deserializeLayeredSymbols(outside)).toThrow(/outside the page/);
    // A Buffer from the pool (readFile's), at an offset: read as well as a plain array.
    const pooled = Buffer.concat([Buffer.alloc(7), bytes]).subarray(7);
    expect(deserializeLayeredSymbols(pooled).layers).toHaveLength(2);
  });
});
