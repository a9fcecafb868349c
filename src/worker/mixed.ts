/**
 * Mixed raster content (`--format auto`, PDF output): a page of text and line art with photographs,
 * shaded logos or gradients. The photographic regions (codecs/mixed/regions.ts) go into JPEGs, one
 * per region, at the page's resolution or half of it (regionJpeg); everything else into flat-colour layers (codecs/layers) painted
 * over them as JBIG2 image masks, lossless to the page quantized to its palette. Tried where
 * the page would otherwise be one PNG or JPEG (the layers refused it, or it measured photographic).
 *
 * Regions: photographic tiles by colour statistics, then, on the page without them, every tile with
 * pixels far from the palette the layers found and from every blend of two of its colours (shading,
 * a ramp of grays, anti-aliasing against a photograph): what the layers would change visibly goes to
 * the JPEG instead. Text over a photograph stays in the photograph's JPEG; text over a flat tint is
 * layers (the tint is a layer of its own colour).
 */
import sharp, { type Sharp } from "sharp";
import { classify, DEFAULT_SPLIT_LIMITS, NotLayerable, splitLayers, type Layer, type LayeredPage, type Rgb, type SplitLimits } from "../codecs/layers/split.js";
import { serializeMixedPage, type PhotoRegion } from "../codecs/mixed/file.js";
import { DEFAULT_REGION_LIMITS, findPhotoRegions, mergeOverlapping, regionsOfTiles, type Rect } from "../codecs/mixed/regions.js";
import { findSymbols } from "./bilevel.js";

/**
 * The layers of a mixed page may have more colours than a page of layers alone (gray boxes of a
 * diagram: each flat gray is exact as a layer), and any share of far pixels (they go to the JPEG).
 */
const SPLIT: SplitLimits = { ...DEFAULT_SPLIT_LIMITS, maxLayers: 32, maxFarShare: 1 };
/** A tile with at least this many pixels far from the palette goes to the JPEG (fewer: a corner where three colours meet). */
const FAR_PIXELS = 8;
/** Pixels of one colour a thin line needs to run on to count as lost (see farTiles): 2 mm at 300 DPI. */
const LINE_RUN = 24;
/** Above this share of the page in photographs, mixed cannot win over one JPEG of the page. */
const MAX_PHOTO_SHARE = 0.85;
/** Regions closer than this (pixels) are one JPEG: each JPEG costs ~600 bytes of headers and tables. */
const MERGE_GAP = 64;
/** Bytes an image costs in the output besides its data: the XObject dictionary and the operators that paint it. */
const IMAGE_OVERHEAD = 140;

export interface MixedOptions {
  /** JPEG quality of the photographs, 1-100. */
  quality: number;
  /** The page is gray: one-component JPEGs. */
  gray: boolean;
}

/** A page split for mixed raster content: the rectangles that go to JPEGs, and the layers (cleared within them) painted over them. */
export interface MixedSplit {
  regions: Rect[];
  layered: LayeredPage;
}

/** Where the page's photographs are and its layers around them (pure); undefined when mixed cannot win. */
export function splitMixed(pixels: Uint8Array, width: number, height: number, channels: 3 | 4): MixedSplit | undefined {
  const area = width * height;
  const photos = findPhotoRegions(pixels, width, height, channels);
  if (sumArea(photos) > MAX_PHOTO_SHARE * area) return undefined;
  // The layers are found on the page with its photographs painted over in the paper's colour, so that
  // a photograph's colours neither fill the palette nor count as far.
  const work = photos.length > 0 ? fillRects(pixels, width, channels, photos, paperAround(pixels, width, height, channels, photos)) : pixels;
  const split = splitLayers(work, width, height, channels, SPLIT);
  if (split instanceof NotLayerable) return undefined;
  const tile = DEFAULT_REGION_LIMITS.tile;
  const far = farTiles(work, width, height, channels, [split.background, ...split.layers.map((l) => l.colour)], tile);
  const regions = mergeOverlapping([...photos, ...regionsOfTiles(far, work, width, height, channels, tile, 1)], MERGE_GAP);
  if (sumArea(regions) > MAX_PHOTO_SHARE * area) return undefined;
  const layers = split.layers.filter((layer) => clearRects(layer, regions) > 0);
  return { regions, layered: { ...split, layers } };
}

/** The page as mixed raster content, and its expected bytes in the output (page-local JBIG2 sizes: an upper bound); undefined when it cannot win. */
export async function mixedFile(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, options: MixedOptions): Promise<{ data: Uint8Array; estimate: number } | undefined> {
  const split = splitMixed(pixels, width, height, channels);
  if (!split) return undefined;
  let estimate = IMAGE_OVERHEAD; // the background fill
  const layers = split.layered.layers.map((layer) => {
    const file = findSymbols(layer.width, layer.height, layer.data, layer.stride);
    estimate += file.localBytes + IMAGE_OVERHEAD;
    return { colour: layer.colour, x: layer.x, y: layer.y, symbols: file.symbols };
  });
  const photos: PhotoRegion[] = [];
  for (const rect of split.regions) {
    const jpeg = await regionJpeg(pixels, width, height, channels, rect, options);
    estimate += jpeg.length + IMAGE_OVERHEAD;
    photos.push({ ...rect, jpeg });
  }
  const data = serializeMixedPage({ layered: { width, height, background: split.layered.background, layers }, photos });
  return { data, estimate };
}

/**
 * Mean absolute difference (0-255 a sample) from which a region halved and scaled back up differs too
 * much from the page to be stored at half resolution. Measured at 300 DPI: the brochure's photograph
 * (a 144 DPI image) 0.95, less than JPEG q85's own error on it (1.04); tracemonkey's shaded diagrams
 * with text in them 3.1 and 10.9 (JPEG q85: 0.9).
 */
const HALF_MAX_ERROR = 1.5;

/**
 * One region of the page as a JPEG: at half the page's resolution where that loses no more than
 * HALF_MAX_ERROR (photographs placed at less than the page's resolution: a quarter of the pixels,
 * measured 63% smaller on the brochure), else at the page's resolution (text and line art in the
 * region stay sharp). The JPEG is scaled to its rectangle, so its edges meet the layers' pixel for
 * pixel either way. Huffman tables optimised: the regions are a fraction of the page (5% smaller).
 */
async function regionJpeg(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, rect: Rect, options: MixedOptions): Promise<Uint8Array> {
  const region = (): Sharp => {
    const image = sharp(pixels, { raw: { width, height, channels }, limitInputPixels: false }).extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height });
    return channels === 4 ? image.removeAlpha() : image;
  };
  let image = region();
  if (rect.width >= 16 && rect.height >= 16) {
    const half = { width: Math.ceil(rect.width / 2), height: Math.ceil(rect.height / 2) };
    const [original, small] = await Promise.all([region().raw().toBuffer(), region().resize(half).raw().toBuffer()]);
    const back = await sharp(small, { raw: { ...half, channels: 3 } }).resize(rect.width, rect.height, { kernel: "linear" }).raw().toBuffer();
    let error = 0;
    for (let i = 0; i < original.length; i++) error += Math.abs(original[i]! - back[i]!);
    if (error <= HALF_MAX_ERROR * original.length) image = sharp(small, { raw: { ...half, channels: 3 } });
  }
  if (options.gray) image = image.toColourspace("b-w");
  return image.jpeg({ quality: options.quality, mozjpeg: false, optimiseCoding: true, chromaSubsampling: "4:2:0" }).toBuffer();
}

function sumArea(rects: readonly Rect[]): number {
  return rects.reduce((sum, r) => sum + r.width * r.height, 0);
}

/** The commonest colour of the pixels just outside the rectangles (the paper around the photographs). */
function paperAround(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, rects: readonly Rect[]): Rgb {
  const counts = new Map<number, number>();
  const add = (x: number, y: number): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * channels;
    const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  };
  for (const r of rects) {
    for (let x = r.x - 1; x <= r.x + r.width; x++) {
      add(x, r.y - 1);
      add(x, r.y + r.height);
    }
    for (let y = r.y; y < r.y + r.height; y++) {
      add(r.x - 1, y);
      add(r.x + r.width, y);
    }
  }
  let best = 0xffffff;
  let most = 0;
  for (const [rgb, n] of counts) {
    if (n > most) [best, most] = [rgb, n];
  }
  return [best >> 16, (best >> 8) & 255, best & 255];
}

/** A copy of the pixels with the rectangles filled with `colour`. */
function fillRects(pixels: Uint8Array, width: number, channels: 3 | 4, rects: readonly Rect[], colour: Rgb): Uint8Array {
  const out = new Uint8Array(pixels); // a copy (a Buffer's slice() would be a view)
  const pixel = channels === 4 ? [...colour, 255] : [...colour];
  for (const r of rects) {
    const row = new Uint8Array(r.width * channels);
    for (let x = 0; x < r.width; x++) row.set(pixel, x * channels);
    for (let y = r.y; y < r.y + r.height; y++) out.set(row, (y * width + r.x) * channels);
  }
  return out;
}

/**
 * One flag per tile: it holds at least FAR_PIXELS pixels that the layers would change visibly: far
 * from every palette colour and blend of two (what splitLayers counts as far), or a thin line that the
 * blend rule would paint over with the colour around it (a pixel darker than both its neighbours,
 * across or down, taken for a lighter colour, or lighter than both taken for a darker one, running on
 * in its colour for LINE_RUN pixels: a 1-pixel gray rule on white is a "blend" of black and white
 * nearer white, and would vanish).
 */
function farTiles(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, palette: readonly Rgb[], tile: number): Uint8Array {
  const tilesX = Math.ceil(width / tile);
  const counts = new Uint32Array(tilesX * Math.ceil(height / tile));
  const far2 = SPLIT.far * SPLIT.far;
  const far = SPLIT.far;
  // Per exact colour met: its palette entry (0x80 set when far).
  const cache = new Map<number, number>();
  const luma = (i: number): number => (pixels[i]! * 77 + pixels[i + 1]! * 150 + pixels[i + 2]! * 29) >> 8;
  const paletteLuma = palette.map(([r, g, b]) => (r * 77 + g * 150 + b * 29) >> 8);
  const stride = width * channels;
  const rgbAt = (x: number, y: number): number => {
    const i = (y * width + x) * channels;
    return (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
  };
  // The pixels LINE_RUN / 2 either side of (x, y) along (dx, dy) are all `rgb`.
  const run = (x: number, y: number, dx: number, dy: number, rgb: number): boolean => {
    const half = LINE_RUN >> 1;
    if (x - half * dx < 0 || y - half * dy < 0 || x + half * dx >= width || y + half * dy >= height) return false;
    for (let k = -half; k <= half; k++) if (rgbAt(x + k * dx, y + k * dy) !== rgb) return false;
    return true;
  };
  let last = -1;
  let lastK = 0;
  for (let y = 0; y < height; y++) {
    const tileRow = ((y / tile) | 0) * tilesX;
    for (let x = 0, i = y * stride; x < width; x++, i += channels) {
      const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
      if (rgb !== last) {
        let k = cache.get(rgb);
        if (k === undefined) {
          k = classify(palette, [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!], far2);
          cache.set(rgb, k);
        }
        last = rgb;
        lastK = k;
      }
      let lost = (lastK & 0x80) !== 0;
      if (!lost && x > 0 && y > 0 && x + 1 < width && y + 1 < height) {
        const shift = paletteLuma[lastK]! - luma(i);
        if (shift > far || shift < -far) {
          const l = luma(i);
          const across = [luma(i - channels), luma(i + channels)] as const;
          const down = [luma(i - stride), luma(i + stride)] as const;
          const thin = (pair: readonly [number, number]): boolean => (shift > 0 ? l < pair[0] && l < pair[1] : l > pair[0] && l > pair[1]);
          // A rule or a box's edge runs on in one colour; the thin strokes of text (an `e`'s crossbar) do not.
          lost = (thin(down) && run(x, y, 1, 0, rgb)) || (thin(across) && run(x, y, 0, 1, rgb));
        }
      }
      if (lost) counts[tileRow + ((x / tile) | 0)]!++;
    }
  }
  return Uint8Array.from(counts, (n) => (n >= FAR_PIXELS ? 1 : 0));
}

/** Clears the layer's bits inside the rectangles (the JPEG shows there); returns the bits left set. */
function clearRects(layer: Layer, rects: readonly Rect[]): number {
  for (const r of rects) {
    const x0 = Math.max(r.x, layer.x) - layer.x;
    const x1 = Math.min(r.x + r.width, layer.x + layer.width) - layer.x;
    const y0 = Math.max(r.y, layer.y) - layer.y;
    const y1 = Math.min(r.y + r.height, layer.y + layer.height) - layer.y;
    for (let y = y0; y < y1; y++) {
      const row = y * layer.stride;
      for (let x = x0; x < x1; x++) layer.data[row + (x >> 3)]! &= ~(0x80 >> (x & 7));
    }
  }
  let set = 0;
  for (const byte of layer.data) set += POPCOUNT[byte]!;
  return set;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => b.toString(2).replace(/0/g, "").length);
