import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { packBlack } from "../../src/codecs/ccitt/g4.js";
import { blackBitmap, monoBits } from "../../src/worker/mono.js";

/** The bits sharp's own pipeline gives (the 1-bit PNG's): gray through libvips, then threshold(). */
async function sharpBits(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, threshold: number): Promise<Uint8Array> {
  let image = sharp(pixels, { raw: { width, height, channels } });
  if (channels === 4) image = image.removeAlpha();
  const gray = await image.toColourspace("b-w").threshold(threshold).raw().toBuffer();
  return packBlack(gray, width, height).black;
}

describe("blackBitmap", () => {
  it("gives the same bits as sharp's gray and threshold, for every gray level and many colours, RGB and RGBA", async () => {
    const [width, height] = [509, 97]; // not a multiple of 8
    let seed = 3;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (const channels of [3, 4] as const) {
      const pixels = new Uint8Array(width * height * channels).fill(255);
      for (let p = 0; p < width * height; p++) {
        const i = p * channels;
        if (p % 5 === 0) pixels.fill(p % 256, i, i + 3); // every neutral level
        else if (p % 5 === 1) pixels.set([random(), random(), random()], i); // colours: 20% of the page, ~10,000 distinct
      }
      for (const threshold of [1, 60, 128, 200, 255]) {
        const bits = await blackBitmap(pixels, width, height, channels, threshold);
        expect(bits, `${channels} channels, threshold ${threshold}`).toBeDefined();
        expect(Buffer.from(bits!.black).equals(Buffer.from(await sharpBits(pixels, width, height, channels, threshold))), `${channels} channels, threshold ${threshold}`).toBe(true);
      }
    }
  });

  it("leaves a page of too many colours to libvips", async () => {
    const [width, height] = [512, 512];
    const pixels = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) pixels.set([p & 0xff, (p >> 8) & 0xff, 7], p * 3); // 262,144 distinct colours
    expect(await blackBitmap(pixels, width, height, 3, 128)).toBeUndefined();
  });
});

describe("monoBits", () => {
  /** Whether 1-bit at `threshold` would lose a light rule, and (when not) that the bits are blackBitmap's. */
  async function losesLightRule(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, threshold: number): Promise<boolean> {
    const found = await monoBits(pixels, width, height, channels, threshold, true);
    if (!found.losesLightRule) expect(found.bits).toEqual(await blackBitmap(pixels, width, height, channels, threshold));
    return found.losesLightRule;
  }

  /** A white RGB page with black "text" strokes (anti-aliased right edges) and, where `rule` says, a rule of that gray. */
  function ruled(rule: ((x: number, y: number) => number | undefined) | undefined, width = 300, height = 120): Uint8Array {
    const pixels = new Uint8Array(width * height * 3).fill(255);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = rule?.(x, y);
        if (v === undefined && y >= 10 && y < 40 && x % 12 < 5) v = x % 12 === 4 ? 160 + (y % 3) * 20 : 0; // strokes, their edge column light
        if (v !== undefined) pixels.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
    return pixels;
  }

  it("finds a 1- or 2-pixel rule that 1-bit would turn white, across or down, and nothing on text alone or on a dark rule", async () => {
    const across = (gray: number, rows: number[]) => (x: number, y: number) => (rows.includes(y) && x >= 20 && x < 280 ? gray : undefined);
    const down = (gray: number) => (x: number, y: number) => (x === 150 && y >= 50 && y < 110 ? gray : undefined);
    expect(await losesLightRule(ruled(undefined), 300, 120, 3, 176)).toBe(false);
    expect(await losesLightRule(ruled(across(191, [80])), 300, 120, 3, 176)).toBe(true);
    expect(await losesLightRule(ruled(across(204, [80, 81])), 300, 120, 3, 176)).toBe(true);
    expect(await losesLightRule(ruled(down(191)), 300, 120, 3, 176)).toBe(true);
    expect(await losesLightRule(ruled(across(128, [80])), 300, 120, 3, 176)).toBe(false); // 1-bit keeps it, as black
    expect(await losesLightRule(ruled(across(191, [80])), 300, 120, 3, 200)).toBe(false); // under this threshold it is ink
  });

  it("still finds the rule on a page mostly in colour, which it leaves to libvips whole (no bits)", async () => {
    const pixels = ruled((x, y) => (y === 80 && x >= 20 && x < 280 ? 191 : undefined));
    for (let y = 0; y < 60; y++) for (let x = 0; x < 300; x++) pixels.set([255, (x * 7) & 255, y * 4], (y * 300 + x) * 3); // half the page in colour
    expect(await monoBits(pixels, 300, 120, 3, 176, true)).toEqual({ bits: undefined, losesLightRule: true });
    for (let x = 20; x < 280; x++) pixels.fill(255, (80 * 300 + x) * 3, (80 * 300 + x) * 3 + 3);
    expect(await monoBits(pixels, 300, 120, 3, 176, true)).toEqual({ bits: undefined, losesLightRule: false });
  });
});
