/**
 * Flat-colour layers: a page of text and line art in a few colours (black text, blue links, red
 * headings, a tinted box, coloured plot lines) as a background colour plus one 1-bit mask per ink
 * colour. Each mask is coded like any 1-bit page (JBIG2 or CCITT G4) and painted with its colour
 * (`/ImageMask true`), so the page costs about what a black-and-white page costs, where 24-bit
 * JPEG or PNG cost 10-50 times more. Pure: pixels in, palette and masks out.
 *
 * What is kept exactly: the page quantized to its palette (every pixel takes the nearest palette
 * colour; anti-aliased edge pixels go to the nearer side, as 1-bit text does with its threshold).
 * `splitLayers` refuses a page it would change visibly (too many colours, shading, photographs):
 * the caller then encodes it as before.
 *
 * Masks are bitmaps as codecs/jbig2 takes them: rows top to bottom, packed MSB first, 1 = the
 * layer's colour, padding bits 0, cropped to the layer's bounding box.
 */

import { thinRule } from "../thin-rule.js";
import { pixelWords, whiteGroup, whiteRows } from "../white.js";

export type Rgb = readonly [number, number, number];

export interface Layer {
  colour: Rgb;
  /** Position of the mask's top-left pixel on the page. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** `((width + 7) >> 3)` bytes per row. */
  stride: number;
  data: Uint8Array;
  /** Pixels set in the mask. */
  pixels: number;
}

export interface LayeredPage {
  width: number;
  height: number;
  /** The colour of every pixel no layer covers (the most common flat colour: usually the paper). */
  background: Rgb;
  /** Disjoint masks, most pixels first. */
  layers: Layer[];
}

export interface SplitLimits {
  /** Ink colours at most (the background not counted). @default 8 */
  maxLayers: number;
  /**
   * Euclidean RGB distance within which two flat colours are one. Renders give exact flat colours and
   * anti-aliasing is not flat, so only near-equal colours merge (a light tint, 237,237,245, stays apart
   * from the paper). @default 12
   */
  merge: number;
  /** Flat pixels a colour needs to be a layer of its own, as a share of the page. @default 0.00002 */
  minShare: number;
  /**
   * Share of the page's non-background pixels allowed to lie farther than `far` from every palette
   * colour and every blend of two (an anti-aliased edge is such a blend); more means colours the
   * palette lacks (shading, a photograph, a gray ramp). @default 0.02
   */
  maxFarShare: number;
  /** See maxFarShare (Euclidean RGB). @default 24 */
  far: number;
}

export const DEFAULT_SPLIT_LIMITS: SplitLimits = { maxLayers: 8, merge: 12, minShare: 0.00002, maxFarShare: 0.02, far: 24 };

/** Why a page is not split (the caller encodes it another way). */
export class NotLayerable {
  constructor(readonly reason: string) {}
}

/** 6 bits a channel: the bins flat colours are counted in. */
const BITS = 6;
const BINS = 1 << (3 * BITS);
const UNKNOWN = 0xff;
/** The bits of an RGBA pixel read as one 32-bit word (in this machine's byte order) that hold R, G and B. */
const RGB_BITS = new Uint32Array(Uint8Array.of(255, 255, 255, 0).buffer)[0]!;

/**
 * Splits opaque RGBA (`channels` 4) or RGB (3) pixels into a background and flat-colour masks, or
 * says why not. Cost: two passes over the pixels (counting flat colours, then assigning).
 */
export function splitLayers(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, limits: SplitLimits = DEFAULT_SPLIT_LIMITS): LayeredPage | NotLayerable {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`Expected a page of at least 1 x 1 pixels, got ${width} x ${height}`);
  if (pixels.length < width * height * channels) throw new RangeError(`Expected ${width * height * channels} bytes of pixels, got ${pixels.length}`);
  const palette = findPalette(pixels, width, height, channels, limits);
  if (palette instanceof NotLayerable) return palette;
  return assign(pixels, width, height, channels, palette, limits);
}

/**
 * The palette: flat colours (pixels equal to their left and upper neighbours: the inside of strokes
 * and fills, not an anti-aliased edge) counted in 6-bit bins, each bin's colour the mean of its flat pixels,
 * most frequent first, merging colours closer than `merge`. The first is the background.
 */
function findPalette(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, limits: SplitLimits): Rgb[] | NotLayerable {
  const count = new Uint32Array(BINS);
  const sum = new Float64Array(BINS * 3);
  const stride = width * channels;
  const shift = 8 - BITS;
  // RGBA (what the engines give) is compared a pixel at a time as 32-bit words, alpha masked off; RGB a byte at a time.
  const words = channels === 4 && pixels.byteOffset % 4 === 0 ? new Uint32Array(pixels.buffer, pixels.byteOffset, width * height) : undefined;
  let white = 0;
  const same = (i: number, j: number): boolean => pixels[i] === pixels[j] && pixels[i + 1] === pixels[j + 1] && pixels[i + 2] === pixels[j + 2];
  // A white row under a white row is flat white throughout (found by a native compare, when the buffer is aligned).
  const whiteRow = pixels.byteOffset % 4 === 0 ? whiteRows(pixels, stride) : undefined;
  let aboveWhite = whiteRow?.(0) ?? false;
  for (let y = 1; y < height; y++) {
    const row = y * stride;
    if (whiteRow) {
      const rowWhite = whiteRow(y);
      const skip = rowWhite && aboveWhite;
      aboveWhite = rowWhite;
      if (skip) {
        white += width - 1;
        continue;
      }
    }
    for (let x = 1, i = row + channels; x < width; x++, i += channels) {
      // Flat in two directions: the inside of a fill or a stroke. An anti-aliased edge repeats along
      // the edge (a horizontal stroke's top row), never across it. A thin rule is not flat across
      // either: it counts too when it is a ridge running on (thinRule).
      if (words) {
        const w = words[i >> 2]!;
        const left = ((w ^ words[(i >> 2) - 1]!) & RGB_BITS) === 0;
        const up = ((w ^ words[(i >> 2) - width]!) & RGB_BITS) === 0;
        if (!(left && up) && !((left || up) && thinRule(pixels, width, height, channels, x, y, left))) continue;
      } else {
        const left = same(i, i - channels);
        const up = same(i, i - stride);
        if (!(left && up) && !((left || up) && thinRule(pixels, width, height, channels, x, y, left))) continue;
      }
      const r = pixels[i]!;
      const g = pixels[i + 1]!;
      const b = pixels[i + 2]!;
      if ((r & g & b) === 255) {
        white++; // added to its bin at the end (most of a page)
        continue;
      }
      const bin = ((r >> shift) << (2 * BITS)) | ((g >> shift) << BITS) | (b >> shift);
      count[bin]!++;
      sum[bin * 3]! += r;
      sum[bin * 3 + 1]! += g;
      sum[bin * 3 + 2]! += b;
    }
  }
  const whiteBin = BINS - 1;
  count[whiteBin]! += white;
  for (let c = 0; c < 3; c++) sum[whiteBin * 3 + c]! += 255 * white;
  const minCount = Math.max(16, Math.ceil(limits.minShare * width * height));
  const bins: number[] = [];
  for (let bin = 0; bin < BINS; bin++) if (count[bin]! >= minCount) bins.push(bin);
  bins.sort((a, b) => count[b]! - count[a]! || a - b);
  const palette: Rgb[] = [];
  for (const bin of bins) {
    const n = count[bin]!;
    const colour: Rgb = [Math.round(sum[bin * 3]! / n), Math.round(sum[bin * 3 + 1]! / n), Math.round(sum[bin * 3 + 2]! / n)];
    if (palette.some((p) => distance2(p, colour) < limits.merge * limits.merge)) continue;
    if (palette.length > limits.maxLayers) {
      // A colour of its own with this many flat pixels is not noise: the page has too many colours.
      return new NotLayerable(`more than ${limits.maxLayers} flat colours`);
    }
    palette.push(colour);
  }
  if (palette.length === 0) return new NotLayerable("no flat colour");
  return palette;
}

/**
 * The palette entry a colour goes to, with 0x80 set when it is `far` from every palette colour and
 * every blend of two. A colour within `far` of a palette colour is that colour. Otherwise it is taken
 * for an anti-aliased edge, a blend of the two colours whose segment passes nearest, and goes to the
 * nearer of the two: a gray edge pixel of black text on white paper goes to black or white, never to
 * a red that happens to be closer to mid-gray.
 */
export function classify(palette: readonly Rgb[], c: Rgb, far2: number): number {
  let nearest = 0;
  let nearestD = Infinity;
  for (let p = 0; p < palette.length; p++) {
    const d = distance2(palette[p]!, c);
    if (d < nearestD) {
      nearestD = d;
      nearest = p;
    }
  }
  if (nearestD <= far2) return nearest;
  let blend = -1;
  let blendD = Infinity;
  for (let i = 0; i < palette.length; i++) {
    const a = palette[i]!;
    for (let j = i + 1; j < palette.length; j++) {
      const b = palette[j]!;
      const ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]] as const;
      const len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
      const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((c[0] - a[0]) * ab[0] + (c[1] - a[1]) * ab[1] + (c[2] - a[2]) * ab[2]) / len2));
      const d = distance2([a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]], c);
      if (d < blendD) {
        blendD = d;
        blend = t < 0.5 ? i : j;
      }
    }
  }
  if (blendD <= far2) return blend;
  return nearest | 0x80;
}

function distance2(a: Rgb, b: Rgb): number {
  const dr = a[0] - b[0];
  const dg = a[1] - b[1];
  const db = a[2] - b[2];
  return dr * dr + dg * dg + db * db;
}

/** Every pixel to its palette colour (see `classify`; cached per exact colour met), then one mask per ink colour. */
function assign(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, palette: Rgb[], limits: SplitLimits): LayeredPage | NotLayerable {
  const n = palette.length;
  // A table over all 16 M colours would be 16 MB per page, and a 6-bit one would be wrong where a bin
  // straddles the boundary of two colours: a map of the exact colours met (a few thousand) instead.
  const cache = new ColourCache();
  const index = new Uint8Array(width * height);
  const minX = new Int32Array(n).fill(width);
  const minY = new Int32Array(n).fill(height);
  const maxX = new Int32Array(n).fill(-1);
  const maxY = new Int32Array(n).fill(-1);
  const counts = new Float64Array(n);
  let far = 0;
  let ink = 0;
  const far2 = limits.far * limits.far;
  const paper = (palette[0]![0] << 16) | (palette[0]![1] << 8) | palette[0]![2];
  const stride = width * channels;
  // Most pixels repeat their left neighbour (paper, the inside of strokes): that colour's entry is kept at hand.
  let lastRgb = -1;
  let lastK = 0;
  // Four white pixels (`channels` aligned words) at a time, when white is the background (as on paper).
  const words = pixelWords(pixels);
  const WHITE = 0xffffff;
  let whiteK = cache.get(WHITE);
  if (whiteK === UNKNOWN) {
    whiteK = classify(palette, [255, 255, 255], far2);
    cache.set(WHITE, whiteK);
  }
  const skipWhite = words !== undefined && (whiteK & 0x7f) === 0;
  const whiteRow = skipWhite ? whiteRows(pixels, stride) : undefined;
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    if (whiteRow?.(y)) {
      // A white row, as `width` white pixels (their index is 0 already).
      if (WHITE !== paper) ink += width;
      if (whiteK & 0x80) far += width;
      counts[0]! += width;
      lastRgb = WHITE;
      lastK = whiteK;
      continue;
    }
    for (let x = 0, i = row, p = y * width; x < width; x++, i += channels, p++) {
      if (skipWhite && (p & 3) === 0 && x + 4 <= width && whiteGroup(words, p, channels)) {
        if (WHITE !== paper) ink += 4;
        if (whiteK & 0x80) far += 4;
        counts[0]! += 4;
        lastRgb = WHITE;
        lastK = whiteK;
        x += 3;
        i += 3 * channels;
        p += 3;
        continue;
      }
      const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
      let k = lastK;
      if (rgb !== lastRgb) {
        k = cache.get(rgb);
        if (k === UNKNOWN) {
          k = classify(palette, [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!], far2);
          cache.set(rgb, k);
        }
        lastRgb = rgb;
        lastK = k;
      }
      if (rgb !== paper) ink++;
      if (k & 0x80) far++;
      k &= 0x7f;
      index[y * width + x] = k;
      counts[k]!++;
      if (k !== 0) {
        if (x < minX[k]!) minX[k] = x;
        if (x > maxX[k]!) maxX[k] = x;
        if (y < minY[k]!) minY[k] = y;
        maxY[k] = y;
      }
    }
  }
  if (ink > 0 && far > limits.maxFarShare * ink) {
    return new NotLayerable(`${((100 * far) / ink).toFixed(1)}% of the ink is far from every flat colour (shading or a photograph)`);
  }
  const layers: Layer[] = [];
  const ofLayer: Array<Layer | undefined> = [undefined];
  for (let k = 1; k < n; k++) {
    if (maxX[k]! < 0) {
      ofLayer.push(undefined);
      continue;
    }
    const lx = minX[k]!;
    const ly = minY[k]!;
    const lw = maxX[k]! - lx + 1;
    const lh = maxY[k]! - ly + 1;
    const lstride = (lw + 7) >> 3;
    const layer: Layer = { colour: palette[k]!, x: lx, y: ly, width: lw, height: lh, stride: lstride, data: new Uint8Array(lstride * lh), pixels: counts[k]! };
    ofLayer.push(layer);
    layers.push(layer);
  }
  // One pass over the page sets every layer's bits (not one pass over each layer's box: the boxes of
  // a page's colours often span most of it).
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const k = index[row + x]!;
      if (k === 0) continue;
      const layer = ofLayer[k]!;
      const lx = x - layer.x;
      layer.data[(y - layer.y) * layer.stride + (lx >> 3)]! |= 0x80 >> (lx & 7);
    }
  }
  // Painted lightest first, darkest last. The layers are disjoint, so at the page's own resolution
  // the order does not matter; a viewer that shows the page smaller softens each mask's edges, and
  // then the last mask painted wins the shared edge pixels: dark text on a light tint stays dark
  // (issue13242.pdf's highlighted text at 96 DPI: 0.029 -> 0.010 against the JPEG output).
  layers.sort((a, b) => lightness(b.colour) - lightness(a.colour) || b.pixels - a.pixels);
  return { width, height, background: palette[0]!, layers };
}

/** The nearest palette entry of each exact 24-bit colour met (an open-addressed table; pages have few thousand colours). */
class ColourCache {
  private keys = new Int32Array(1 << 12).fill(-1);
  private values = new Uint8Array(1 << 12);
  private size = 0;

  get(rgb: number): number {
    const mask = this.keys.length - 1;
    for (let slot = hash(rgb) & mask; ; slot = (slot + 1) & mask) {
      const key = this.keys[slot]!;
      if (key === rgb) return this.values[slot]!;
      if (key === -1) return UNKNOWN;
    }
  }

  set(rgb: number, value: number): void {
    if (++this.size * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let slot = hash(rgb) & mask;
    while (this.keys[slot] !== -1) slot = (slot + 1) & mask;
    this.keys[slot] = rgb;
    this.values[slot] = value;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Int32Array(keys.length * 2).fill(-1);
    this.values = new Uint8Array(keys.length * 2);
    const mask = this.keys.length - 1;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === -1) continue;
      let slot = hash(keys[i]!) & mask;
      while (this.keys[slot] !== -1) slot = (slot + 1) & mask;
      this.keys[slot] = keys[i]!;
      this.values[slot] = values[i]!;
    }
  }
}

function hash(rgb: number): number {
  return Math.imul(rgb, 0x9e3779b1) >>> 12;
}

/** The page as its layers paint it (background, then each mask in its colour): what a PDF reader shows. */
export function composeLayers(page: LayeredPage): Uint8Array {
  const { width, height, background } = page;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(background, i * 3);
  for (const layer of page.layers) {
    for (let y = 0; y < layer.height; y++) {
      for (let x = 0; x < layer.width; x++) {
        if (layer.data[y * layer.stride + (x >> 3)]! & (0x80 >> (x & 7))) out.set(layer.colour, ((layer.y + y) * width + layer.x + x) * 3);
      }
    }
  }
  return out;
}

/** Rec. 601 luma of a colour, for the paint order of layers. */
function lightness([r, g, b]: Rgb): number {
  return 299 * r + 587 * g + 114 * b;
}
