import { describe, expect, it } from "vitest";
import { chooseEncoding, measurePage, MONO_FROM_PPI, type PageStats } from "../../src/worker/classify.js";

/** An opaque RGBA page of `width` x `height` painted by `paint(x, y)` -> [r, g, b]. */
function page(width: number, height: number, paint: (x: number, y: number) => [number, number, number]): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      rgba.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return rgba;
}

/** Text-like: rows of black "glyph" bars 3 px wide with a 1 px anti-aliased edge on each side, on white paper. */
const text = (x: number, y: number): [number, number, number] => {
  if (y % 24 >= 12) return [255, 255, 255];
  const i = x % 8;
  const v = i < 3 ? 0 : i === 3 || i === 7 ? (x * 37 + y * 11) % 200 + 30 : 255;
  return [v, v, v];
};
/** Photo-like: a noisy landscape of mid-tones. */
const photo = (x: number, y: number): [number, number, number] => {
  const v = 60 + ((x * 7 + y * 13 + ((x * y) % 17) * 5) % 140);
  return [v, Math.max(0, v - 20), Math.min(255, v + 30)];
};
const gray = (c: [number, number, number]): [number, number, number] => {
  const v = Math.round((c[0] + c[1] + c[2]) / 3);
  return [v, v, v];
};

const W = 320;
const H = 400;
const choose = (stats: PageStats, ppi = 300, grayOnly = false) => chooseEncoding(stats, { ppi, gray: grayOnly });

describe("measurePage and chooseEncoding (--format auto)", () => {
  it("gray text: 1-bit at print resolution, 16 gray levels below it", () => {
    const stats = measurePage(page(W, H, text), W, H);
    expect(stats.colourful).toBe(0);
    expect(stats.photo).toBe(0);
    expect(stats.tint).toBeLessThan(0.0005);
    expect(choose(stats, 300)).toBe("mono");
    expect(choose(stats, MONO_FROM_PPI - 1)).toBe("gray4");
  });

  it("gray text with a flat tint (a shaded box): 16 gray levels, since 1-bit would lose the tint", () => {
    const tinted = page(W, H, (x, y) => (x > 100 && x < 220 && y > 100 && y < 220 ? [200, 200, 200] : text(x, y)));
    const stats = measurePage(tinted, W, H);
    expect(stats.tint).toBeGreaterThan(0.05);
    expect(stats.photo).toBe(0); // one tone dominates its blocks: a fill, not a photo
    expect(choose(stats, 600)).toBe("gray4");
  });

  it("gray shading keeps 256 levels, as the smaller of 8-bit PNG and JPEG (a gentle gradient by its smoothness, a steep one as photographic)", () => {
    const gentle = measurePage(page(W, H, (x) => [100 + (x >> 3), 100 + (x >> 3), 100 + (x >> 3)]), W, H);
    expect(gentle.photo).toBe(0);
    expect(gentle.smooth).toBeGreaterThan(0.003);
    expect(choose(gentle)).toBe("gray-smallest");
    const steep = measurePage(page(W, H, (x) => [40 + (x >> 1), 40 + (x >> 1), 40 + (x >> 1)]), W, H);
    expect(steep.photo).toBeGreaterThan(0.5);
    expect(choose(steep)).toBe("gray-smallest");
  });

  it("photographs: JPEG in colour; gray ones as the smaller of gray JPEG and PNG", () => {
    const colour = measurePage(page(W, H, photo), W, H);
    expect(colour.photo).toBeGreaterThan(0.5);
    expect(colour.colourful).toBeGreaterThan(0.5);
    expect(choose(colour)).toBe("rgb-jpeg");
    expect(choose(colour, 300, true)).toBe("gray-smallest");
    expect(choose(measurePage(page(W, H, (x, y) => gray(photo(x, y))), W, H))).toBe("gray-smallest");
  });

  it("a photo on a quarter of a text page is enough to keep 256 levels", () => {
    const mixed = page(W, H, (x, y) => (x < 160 && y < 200 ? gray(photo(x, y)) : text(x, y)));
    expect(choose(measurePage(mixed, W, H))).toBe("gray-smallest");
  });

  it("colour line art: the smaller of lossless RGB PNG and JPEG", () => {
    const chart = page(W, H, (x, y) => (y > 200 && x % 40 < 25 ? [20, 120 + (x % 3), 40] : text(x, y)));
    const stats = measurePage(chart, W, H);
    expect(stats.colourful).toBeGreaterThan(0.1);
    expect(stats.photo).toBeLessThan(0.02);
    expect(choose(stats)).toBe("rgb-smallest");
  });

  it("a few stray colour pixels do not make a page colour", () => {
    const stray = page(W, H, (x, y) => (x === 5 && y === 5 ? [255, 0, 0] : text(x, y)));
    expect(choose(measurePage(stray, W, H))).toBe("mono");
  });
});
