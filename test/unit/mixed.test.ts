/**
 * Mixed raster content, the pure parts: where a page's photographic regions are (codecs/mixed/regions.ts)
 * and the file a render process writes for a mixed page (codecs/mixed/file.ts), checked on reading.
 */
import { describe, expect, it } from "vitest";
import { createBitmap, setPixel } from "../../src/codecs/jbig2/bitmap.js";
import { extractSymbols } from "../../src/codecs/jbig2/index.js";
import { deserializeMixedPage, MixedFormatError, serializeMixedPage, type MixedPage } from "../../src/codecs/mixed/file.js";
import { findPhotoRegions, MAX_REGIONS, mergeOverlapping, type Rect } from "../../src/codecs/mixed/regions.js";
import { splitMixed } from "../../src/worker/mixed.js";
import { random } from "../helpers/random.js";

/** A white RGB page with lines of black "text" (bars with anti-aliased gray edges) every 40 rows. */
function textPage(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3).fill(255);
  for (let y = 20; y + 12 < height; y += 40) {
    for (let x = 10; x + 8 < width; x += 14) {
      for (let dy = 0; dy < 12; dy++) {
        for (let dx = 0; dx < 8; dx++) {
          const edge = dx === 0 || dx === 7 || dy === 0 || dy === 11;
          pixels.fill(edge ? 140 : 0, ((y + dy) * width + x + dx) * 3, ((y + dy) * width + x + dx) * 3 + 3);
        }
      }
    }
  }
  return pixels;
}

/** Paints `rect` of the page with `paint(x, y)` (an RGB colour). */
function paint(pixels: Uint8Array, width: number, rect: Rect, colour: (x: number, y: number) => [number, number, number]): void {
  for (let y = rect.y; y < rect.y + rect.height; y++) for (let x = rect.x; x < rect.x + rect.width; x++) pixels.set(colour(x, y), (y * width + x) * 3);
}

describe("findPhotoRegions", () => {
  it("finds a photograph's exact rectangle on a text page (text beside it: within a tile of it), and nothing on the text alone", () => {
    const [width, height] = [600, 800];
    const page = textPage(width, height);
    expect(findPhotoRegions(page, width, height, 3)).toEqual([]);
    const rand = random(7);
    const photo = { x: 101, y: 203, width: 257, height: 149 }; // not on tile edges
    const noise = (): [number, number, number] => [60 + Math.floor(rand() * 120), 90 + Math.floor(rand() * 100), 40 + Math.floor(rand() * 60)];
    const withText = Uint8Array.from(page);
    paint(withText, width, photo, noise);
    const [found] = findPhotoRegions(withText, width, height, 3) as [Rect];
    expect(found.x <= photo.x && found.y <= photo.y && found.x + found.width >= photo.x + photo.width && found.y + found.height >= photo.y + photo.height).toBe(true);
    expect(found.width - photo.width + found.height - photo.height).toBeLessThanOrEqual(4 * 32);
    // With paper around it (a tile's width), the region ends on the photograph's own edges.
    paint(page, width, { x: photo.x - 40, y: photo.y - 40, width: photo.width + 80, height: photo.height + 80 }, () => [255, 255, 255]);
    paint(page, width, photo, noise);
    expect(findPhotoRegions(page, width, height, 3)).toEqual([photo]);
  });

  it("finds a gradient (no two colours dominate) but not a flat tint with text on it", () => {
    const [width, height] = [400, 400];
    const page = textPage(width, height);
    const tint = { x: 0, y: 0, width: 400, height: 150 };
    paint(page, width, tint, (x, y) => (page[(y * width + x) * 3] === 255 ? [230, 235, 250] : [0, 0, 0]));
    expect(findPhotoRegions(page, width, height, 3)).toEqual([]);
    const ramp = { x: 40, y: 250, width: 300, height: 100 };
    paint(page, width, { x: 0, y: 200, width: 400, height: 200 }, () => [255, 255, 255]);
    paint(page, width, ramp, (x, y) => [x - 40 - (y % 3), 80, 250 - Math.floor((x - 40) / 2)]);
    expect(findPhotoRegions(page, width, height, 3)).toEqual([ramp]);
  });

  it("gives one bounding box for a page of scattered busy tiles (bounded merging)", () => {
    const [width, height] = [2048, 2048];
    const page = new Uint8Array(width * height * 3).fill(255);
    const rand = random(3);
    // 2 x 2 noisy tiles every 4 tiles: 256 clusters of 4 tiles, apart (each grown by a tile: touching, not overlapping).
    for (let ty = 0; ty < 64; ty += 4) for (let tx = 0; tx < 64; tx += 4) paint(page, width, { x: tx * 32 + 32, y: ty * 32 + 32, width: 64, height: 64 }, () => [Math.floor(rand() * 256), Math.floor(rand() * 256), Math.floor(rand() * 256)]);
    const regions = findPhotoRegions(page, width, height, 3);
    expect(regions.length).toBeLessThanOrEqual(MAX_REGIONS);
    expect(regions).toContainEqual({ x: 32, y: 32, width: 64, height: 64 });
    // Every 3 tiles: 441 clusters, more than MAX_REGIONS: one box.
    page.fill(255);
    for (let ty = 0; ty < 62; ty += 3) for (let tx = 0; tx < 62; tx += 3) paint(page, width, { x: tx * 32, y: ty * 32, width: 64, height: 64 }, () => [Math.floor(rand() * 256), 0, 0]);
    expect(findPhotoRegions(page, width, height, 3)).toEqual([{ x: 0, y: 0, width: 1984, height: 1984 }]);
  });

  it("merges regions that overlap or lie close", () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    const b = { x: 5, y: 5, width: 10, height: 10 };
    const c = { x: 40, y: 0, width: 10, height: 10 };
    expect(mergeOverlapping([a, b, c])).toEqual([{ x: 0, y: 0, width: 15, height: 15 }, c]);
    expect(mergeOverlapping([a, b, c], 30)).toEqual([{ x: 0, y: 0, width: 50, height: 15 }]);
  });
});

describe("splitMixed", () => {
  it("keeps a 1-pixel gray rule as a layer of its own gray (the layers count thin rules), with no JPEG region for it", () => {
    const [width, height] = [600, 400];
    // Black text (no gray: a palette of white and black, where a light gray is a blend nearer white).
    const page = new Uint8Array(width * height * 3).fill(255);
    for (let y = 20; y < 170; y += 40) for (let x = 10; x + 8 < width; x += 14) paint(page, width, { x, y, width: 8, height: 12 }, () => [0, 0, 0]);
    const rule = { x: 100, y: 210, width: 300, height: 1 };
    paint(page, width, rule, () => [191, 191, 191]);
    const split = splitMixed(page, width, height, 3)!;
    // Before the layers counted thin rules (codecs/thin-rule.ts), the rule was painted white by them and went to a JPEG region.
    expect(split.regions).toEqual([]);
    expect(split.layered.layers.map((l) => l.colour)).toContainEqual([0, 0, 0]);
    const gray = split.layered.layers.find((l) => l.colour.join() === "191,191,191")!;
    expect(gray).toMatchObject({ x: rule.x, y: rule.y, width: rule.width, height: 1, pixels: rule.width });
  });
});

function mask(width: number, height: number): ReturnType<typeof extractSymbols> {
  const bitmap = createBitmap(width, height);
  for (let i = 0; i < Math.min(width, height); i++) setPixel(bitmap, i, i);
  return extractSymbols(bitmap);
}

const JPEG = Uint8Array.from([0xff, 0xd8, 1, 2, 3, 4, 5, 6]);
const page: MixedPage = {
  layered: { width: 100, height: 80, background: [255, 255, 255], layers: [{ colour: [0, 0, 0], x: 10, y: 50, symbols: mask(40, 30) }] },
  photos: [
    { x: 0, y: 0, width: 50, height: 40, jpeg: JPEG },
    { x: 50, y: 0, width: 50, height: 40, jpeg: JPEG.subarray(0, 4) },
  ],
};

describe("mixed page file", () => {
  it("reads back what was written", () => {
    const read = deserializeMixedPage(serializeMixedPage(page));
    expect(read.layered.layers.map((l) => [l.colour, l.x, l.y, l.symbols.width])).toEqual([[[0, 0, 0], 10, 50, 40]]);
    expect(read.photos.map(({ jpeg, ...rect }) => [rect, [...jpeg]])).toEqual(page.photos.map(({ jpeg, ...rect }) => [rect, [...jpeg]]));
  });

  it("refuses damaged files: truncated, trailing bytes, damaged layers, a photo outside the page, overlapping photos", () => {
    const bytes = serializeMixedPage(page);
    for (const cut of [3, 10, 18, 30, bytes.length - 30, bytes.length - 1]) expect(() => deserializeMixedPage(bytes.subarray(0, cut))).toThrow(MixedFormatError);
    expect(() => deserializeMixedPage(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/Trailing bytes/);
    const damaged = Uint8Array.from(bytes);
    for (let i = 16; i < 32; i++) damaged[i]! ^= 0xff; // what PDFRASTER_FAULT=damage does
    expect(() => deserializeMixedPage(damaged)).toThrow(MixedFormatError);
    const photo = page.photos[0]!;
    expect(() => deserializeMixedPage(serializeMixedPage({ ...page, photos: [{ ...photo, x: 51 }] }))).toThrow(/outside the 100x80 page/);
    expect(() => deserializeMixedPage(serializeMixedPage({ ...page, photos: [{ ...photo, height: 0 }] }))).toThrow(/outside/);
    expect(() => deserializeMixedPage(serializeMixedPage({ ...page, photos: [photo, { ...photo, x: 49 }] }))).toThrow(/overlaps photo 1/);
    const otherSize = serializeMixedPage({ ...page, layered: { ...page.layered, width: 99, layers: [] } });
    const view = new DataView(otherSize.buffer);
    view.setUint32(8, 100, true); // the page says 100 wide, its layers 99
    expect(() => deserializeMixedPage(otherSize)).toThrow(/Layers of 99x80 on a 100x80 page/);
  });
});
