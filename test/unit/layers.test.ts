import { describe, expect, it } from "vitest";
import { composeLayers, NotLayerable, splitLayers, type LayeredPage, type Rgb } from "../../src/codecs/layers/split.js";

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const BLUE: Rgb = [0, 0, 204];
const TINT: Rgb = [237, 237, 245];
const RED: Rgb = [153, 13, 13];

/** An RGB page of `width` x `height` in `background`, with `paint(x, y)` giving other pixels. */
function page(width: number, height: number, paint: (x: number, y: number) => Rgb | undefined, background: Rgb = WHITE): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.set(paint(x, y) ?? background, (y * width + x) * 3);
  return out;
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)];
const inside = (x: number, y: number, [x0, y0, x1, y1]: number[]) => x >= x0! && x < x1! && y >= y0! && y < y1!;

/**
 * Text-like strokes in black, blue and red with anti-aliased edges, on a tinted box and on the paper;
 * `allowed[i]` lists the colours pixel i may become (its own, or for an edge pixel the two it blends).
 */
function textPage(width = 203, height = 150): { pixels: Uint8Array; allowed: Rgb[][] } {
  const allowed: Rgb[][] = [];
  const pixels = page(width, height, (x, y) => {
    const tint = inside(x, y, [100, 20, 190, 120]);
    const ground = tint ? TINT : WHITE;
    let colour: Rgb = ground;
    let may: Rgb[] = [ground];
    for (const [ink, box] of [
      [BLACK, [10, 10, 14, 60]],
      [BLACK, [20, 30, 90, 34]],
      [BLUE, [110, 40, 180, 44]],
      [RED, [120, 70, 124, 110]],
      [BLACK, [30, 100, 95, 140]],
    ] as Array<[Rgb, number[]]>) {
      if (inside(x, y, box)) [colour, may] = [ink, [ink]];
      // One column of edge pixels right of each stroke: a blend of the ink and what lies under it.
      else if (x === box[2] && y >= box[1]! && y < box[3]!) [colour, may] = [mix(ink, ground, 0.4 + 0.2 * ((y % 3) / 2)), [ink, ground]];
    }
    allowed[y * width + x] = may;
    return colour;
  });
  return { pixels, allowed };
}

describe("flat-colour layers", () => {
  it("splits text in a few colours into the paper and one mask per ink; edge pixels go to a colour they blend", () => {
    const [width, height] = [203, 150];
    const { pixels, allowed } = textPage(width, height);
    const split = splitLayers(pixels, width, height, 3);
    expect(split).not.toBeInstanceOf(NotLayerable);
    const layered = split as LayeredPage;
    expect(layered.background).toEqual(WHITE);
    const colours = layered.layers.map((l) => l.colour);
    expect(new Set(colours.map(String))).toEqual(new Set([TINT, BLACK, BLUE, RED].map(String)));
    // Flat pixels keep their colour; an anti-aliased edge pixel goes to one of the two colours it
    // blends (never to a third that happens to be nearer, as red is to the gray edge of black text).
    const composed = composeLayers(layered);
    for (let i = 0; i < width * height; i++) {
      const got = [composed[i * 3], composed[i * 3 + 1], composed[i * 3 + 2]].join();
      expect(allowed[i]!.map(String), `pixel ${i % width},${Math.floor(i / width)}: ${got}`).toContain(got);
    }
  });

  it("crops each mask to its ink's bounding box, masks disjoint, padding bits clear", () => {
    const layered = splitLayers(textPage().pixels, 203, 150, 3) as LayeredPage;
    const red = layered.layers.find((l) => l.colour.join() === RED.join())!;
    expect([red.x, red.y, red.width, red.height]).toEqual([120, 70, 5, 40]); // the stroke and its edge column
    const seen = new Set<number>();
    for (const layer of layered.layers) {
      expect(layer.stride).toBe((layer.width + 7) >> 3);
      let set = 0;
      for (let y = 0; y < layer.height; y++) {
        for (let x = 0; x < layer.stride * 8; x++) {
          const bit = (layer.data[y * layer.stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
          if (x >= layer.width) expect(bit).toBe(0);
          else if (bit) {
            set++;
            const key = (layer.y + y) * 203 + layer.x + x;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
        }
      }
      expect(set).toBe(layer.pixels);
    }
  });

  it("keeps thin gray rules and box edges (1 and 2 pixels) beside text, each as a layer of its gray", () => {
    const [width, height] = [203, 150];
    const { pixels: text } = textPage(width, height);
    const GRAY: Rgb = [153, 153, 153];
    const LIGHT: Rgb = [191, 191, 191];
    // Rules on the paper, below and beside the text: one pixel of 60% gray across, one down, two rows of 75% gray.
    const rule = (x: number, y: number): Rgb | undefined =>
      (y === 145 && x >= 5 && x < 195) || (x === 198 && y >= 5 && y < 140) ? GRAY : (y === 125 || y === 126) && x >= 5 && x < 95 ? LIGHT : undefined;
    const pixels = page(width, height, (x, y) => rule(x, y) ?? (text.subarray((y * width + x) * 3, (y * width + x) * 3 + 3) as unknown as Rgb));
    const split = splitLayers(pixels, width, height, 3);
    expect(split).not.toBeInstanceOf(NotLayerable);
    const composed = composeLayers(split as LayeredPage);
    const at = (x: number, y: number): string => [...composed.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)].join();
    for (const [x, y, colour] of [[50, 145, GRAY], [198, 70, GRAY], [40, 125, LIGHT], [40, 126, LIGHT]] as const) {
      expect(at(x, y), `rule pixel ${x},${y}`).toBe(colour.join());
    }
  });

  it("reads RGBA as well as RGB", () => {
    const rgb = textPage().pixels;
    const rgba = new Uint8Array(203 * 150 * 4);
    for (let i = 0; i < 203 * 150; i++) rgba.set([rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!, 255], i * 4);
    const fromRgb = splitLayers(rgb, 203, 150, 3) as LayeredPage;
    expect(splitLayers(rgba, 203, 150, 4)).toEqual(fromRgb);
    // Alpha is not looked at (the word-at-a-time path masks it), and a buffer at any offset reads the same.
    const unaligned = new Uint8Array(rgba.length + 1).subarray(1);
    unaligned.set(rgba);
    for (let i = 3; i < unaligned.length; i += 4) unaligned[i] = (i * 7) & 0xff;
    rgba.set(unaligned);
    expect(splitLayers(rgba, 203, 150, 4)).toEqual(fromRgb);
    expect(splitLayers(unaligned, 203, 150, 4)).toEqual(fromRgb);
  });

  it("refuses shading and too many colours, so that the page is encoded another way", () => {
    const gradient = page(256, 64, (x) => (x > 20 ? [x, x, 255 - x] : undefined));
    expect(splitLayers(gradient, 256, 64, 3)).toBeInstanceOf(NotLayerable);
    const swatches = page(200, 40, (x) => (x >= 20 ? [((x / 20) | 0) * 25, 90, 255 - ((x / 20) | 0) * 25] : undefined));
    const refusal = splitLayers(swatches, 200, 40, 3);
    expect(refusal).toBeInstanceOf(NotLayerable);
    expect((refusal as NotLayerable).reason).toMatch(/more than 8 flat colours/);
  });

  it("keeps a blank page as the paper alone, and a one-pixel page", () => {
    const blank = splitLayers(page(50, 30, () => undefined, TINT), 50, 30, 3) as LayeredPage;
    expect(blank.background).toEqual(TINT);
    expect(blank.layers).toEqual([]);
    expect(() => splitLayers(new Uint8Array(2), 1, 1, 3)).toThrow(RangeError);
  });
});

describe("the layers' paint order", () => {
  it("is lightest first, darkest last, whatever their sizes: shrunk by a viewer, dark text on a tint keeps its edges", () => {
    const YELLOW: Rgb = [250, 230, 90];
    // Much black text (most ink) and a smaller yellow highlight beside it, and blue text in between.
    const pixels = page(120, 80, (x, y) => {
      if (inside(x, y, [5, 5, 60, 75])) return (x + y) % 3 === 0 ? WHITE : BLACK;
      if (inside(x, y, [70, 10, 110, 20])) return YELLOW;
      if (inside(x, y, [70, 40, 110, 44])) return BLUE;
      return undefined;
    });
    const split = splitLayers(pixels, 120, 80, 3);
    if (split instanceof NotLayerable) throw new Error(split.reason);
    expect(split.layers.map((layer) => layer.colour)).toEqual([YELLOW, BLUE, BLACK]);
    expect(split.layers[2]!.pixels).toBeGreaterThan(split.layers[0]!.pixels); // the largest is painted last, not first
  });
});
