import { describe, expect, it } from "vitest";
import { CHECK_MIN_PPI, hasInk, judgeRun, textCheckScale, TEXT_CHECK_PIXELS, type Raster } from "../../src/keep/visibility.js";

/** A white 200 x 100 RGB raster (1 pixel per point) with `paint` applied. */
function raster(paint: (set: (x: number, y: number, v: number) => void) => void = () => {}): Raster {
  const data = new Uint8Array(200 * 100 * 3).fill(255);
  paint((x, y, v) => data.fill(v, (y * 200 + x) * 3, (y * 200 + x) * 3 + 3));
  return { data, width: 200, height: 100, channels: 3 };
}
const AT = { scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 };
/** A 100 pt run of 20 pt text with its baseline at y = 60 (displayed space: y down, so "up" is -y). */
const RUN = { text: "word", matrix: [100, 0, 0, -20, 50, 60] as [number, number, number, number, number, number] };
/** Vertical strokes like glyphs in the run's body, every 4th column, of grey `v`. */
const strokes = (v: number) => (set: (x: number, y: number, v: number) => void) => {
  for (let y = 46; y < 60; y++) for (let x = 50; x < 150; x += 4) set(x, y, v);
};

describe("judgeRun", () => {
  it("glyph-like ink under the run: visible; a blank, uniformly covered or faint box: hidden", () => {
    expect(judgeRun(RUN, raster(strokes(0)), AT)).toBe("visible");
    expect(judgeRun(RUN, raster(), AT)).toBe("hidden");
    expect(judgeRun(RUN, raster((set) => { for (let y = 30; y < 70; y++) for (let x = 40; x < 160; x++) set(x, y, 0); }), AT)).toBe("hidden");
    expect(judgeRun(RUN, raster(strokes(230)), AT)).toBe("hidden"); // 25 of 255 from white: not ink
    expect(judgeRun(RUN, raster(strokes(200)), AT)).toBe("visible");
  });

  it("ink outside the run's body (the line above) does not count; a run under 1 pt is hidden; off the raster is said", () => {
    expect(judgeRun(RUN, raster((set) => { for (let x = 50; x < 150; x += 4) for (let y = 20; y < 38; y++) set(x, y, 0); }), AT)).toBe("hidden");
    expect(judgeRun({ text: "t", matrix: [5, 0, 0, -0.5, 50, 60] }, raster(strokes(0)), AT)).toBe("hidden");
    expect(judgeRun({ text: "x", matrix: [10, 0, 0, -10, 500, 60] }, raster(strokes(0)), AT)).toBe("off-raster");
  });

  it("follows the placement (pixel = point * scale + offset) and rotated runs", () => {
    const half = { scaleX: 0.5, scaleY: 0.5, offsetX: 25, offsetY: 30 };
    // The same run at half scale, moved by the offset: (50, 60) → (50, 60).
    expect(judgeRun({ text: "w", matrix: [200, 0, 0, -40, 50, 60] }, raster(strokes(0)), half)).toBe("visible");
    // A quarter turn: the run goes down the page from (160, 10), its "up" to the right: its body is over blank columns.
    expect(judgeRun({ text: "v", matrix: [0, 80, 20, 0, 160, 10] }, raster(strokes(0)), AT)).toBe("hidden");
  });
});

describe("hasInk", () => {
  it("needs two pixels and 1% of the box differing from the median by more than 40 in a channel", () => {
    const data = new Uint8Array(300).fill(255);
    const all = Array.from({ length: 100 }, (_, i) => i * 3);
    expect(hasInk(data, all)).toBe(false);
    data[0] = 0;
    expect(hasInk(data, all)).toBe(false); // one stray pixel
    data[4] = 0; // the green channel of the second pixel
    expect(hasInk(data, all)).toBe(true);
  });
});

describe("textCheckScale", () => {
  it("a page under 96 ppi is judged at 96 ppi, within the pixel cap; a banded page always has a check render", () => {
    const page = (ppi: number) => ({ width: Math.round(8.5 * ppi), height: 11 * ppi, scaleX: ppi / 72, scaleY: ppi / 72 });
    expect(textCheckScale(page(300), false)).toBeUndefined();
    expect(textCheckScale(page(30), false)).toBeCloseTo(CHECK_MIN_PPI / 30);
    const banded = textCheckScale(page(600), true)!;
    expect(page(600).width * page(600).height * banded ** 2).toBeLessThanOrEqual(TEXT_CHECK_PIXELS * 1.001);
  });
});
