import { createBitmap, type Bitmap } from "./bitmap.js";
import { fillRun, findComponents, type Components } from "./components.js";
import { genericRegionData } from "./generic-region.js";

/** One distinct symbol bitmap of a page and where it is drawn (top-left corners). */
export interface SymbolClass {
  readonly bitmap: Bitmap;
  /** x0, y0, x1, y1, ...: the top-left corner of each instance on the page. */
  readonly positions: Int32Array;
}

/**
 * What the render process finds on a page: its distinct symbols with their instances, and everything
 * else already coded as a generic region. Plain data (see serializePageSymbols): nothing in it depends
 * on other pages, so pages can be analysed anywhere, in any order.
 */
export interface PageSymbols {
  readonly width: number;
  readonly height: number;
  readonly classes: readonly SymbolClass[];
  /** The immediate generic region segment data for the pixels not in a symbol, or null when there are none. */
  readonly residual: Uint8Array | null;
}

/** Bounds that keep hostile pages (noise, dots) linear: beyond them the page is coded as one generic region. */
export interface SymbolLimits {
  /** @default 1_000_000 (16 MB of run arrays; a dense 300 DPI text page has ~300,000) */
  maxRuns: number;
  /** @default 60_000 (a dense 300 DPI text page has ~6,000) */
  maxComponents: number;
  /** Larger components (rules, frames, pictures) go to the generic region. @default 300 */
  maxSymbolSize: number;
}

export const DEFAULT_SYMBOL_LIMITS: SymbolLimits = { maxRuns: 1_000_000, maxComponents: 60_000, maxSymbolSize: 300 };

/**
 * Cuts a page into connected components (8-connected), groups them into classes by exact bitmap
 * equality (a hash, then a full compare: never a "similar" glyph), and codes what is not a symbol as a
 * generic region. Decoding the symbols at their positions, OR the residual, gives back `bitmap` exactly.
 */
export function extractSymbols(bitmap: Bitmap, limits: SymbolLimits = DEFAULT_SYMBOL_LIMITS): PageSymbols {
  const { width, height } = bitmap;
  const components = findComponents(bitmap, limits.maxRuns, limits.maxComponents);
  if (!components) return { width, height, classes: [], residual: genericRegionData(bitmap, 0, 0) };

  // A class is known by its first component: exact equality is checked on runs, which is the same as
  // on bitmaps (a component's runs, in row order, are the maximal runs of its bitmap); only the first
  // of each class is drawn. Cheaper than drawing, hashing and comparing every component's bitmap.
  const classes: { bitmap: Bitmap; positions: number[]; first: number }[] = [];
  const byHash = new Map<number, number[]>();
  const residual: number[] = [];
  for (let c = 0; c < components.count; c++) {
    const x0 = components.minX[c]!;
    const y0 = components.minY[c]!;
    const w = components.maxX[c]! - x0 + 1;
    const h = components.maxY[c]! - y0 + 1;
    if (w > limits.maxSymbolSize || h > limits.maxSymbolSize) {
      residual.push(c);
      continue;
    }
    const hash = hashRuns(components, c, x0, y0, w, h);
    const candidates = byHash.get(hash);
    let match = -1;
    if (candidates) {
      for (const k of candidates) {
        if (sameRuns(components, classes[k]!.first, c)) {
          match = k;
          break;
        }
      }
    }
    if (match < 0) {
      match = classes.length;
      const bitmap = createBitmap(w, h);
      drawRuns(bitmap, components, c, x0, y0);
      classes.push({ bitmap, positions: [], first: c });
      if (candidates) candidates.push(match);
      else byHash.set(hash, [match]);
    }
    classes[match]!.positions.push(x0, y0);
  }
  return {
    width,
    height,
    classes: classes.map((k) => ({ bitmap: k.bitmap, positions: Int32Array.from(k.positions) })),
    residual: residual.length > 0 ? residualRegion(components, residual) : null,
  };
}

function drawRuns(target: Bitmap, components: Components, c: number, x0: number, y0: number): void {
  const { runOrder, runStart, runEnd, runY, firstRun } = components;
  for (let k = firstRun[c]!; k < firstRun[c + 1]!; k++) {
    const r = runOrder[k]!;
    fillRun(target.data, (runY[r]! - y0) * target.stride, runStart[r]! - x0, runEnd[r]! - x0);
  }
}

/** The components not coded as symbols, drawn in their joint bounding box and coded as a generic region. */
function residualRegion(components: Components, list: readonly number[]): Uint8Array {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (const c of list) {
    x0 = Math.min(x0, components.minX[c]!);
    y0 = Math.min(y0, components.minY[c]!);
    x1 = Math.max(x1, components.maxX[c]!);
    y1 = Math.max(y1, components.maxY[c]!);
  }
  const region = createBitmap(x1 - x0 + 1, y1 - y0 + 1);
  for (const c of list) drawRuns(region, components, c, x0, y0);
  return genericRegionData(region, x0, y0);
}

/** FNV-1a over a component's size and its runs relative to its top-left corner; only a bucket key (see sameRuns). */
function hashRuns(components: Components, c: number, x0: number, y0: number, w: number, h: number): number {
  const { runOrder, runStart, runEnd, runY, firstRun } = components;
  let hash = Math.imul(0x811c9dc5 ^ w, 0x01000193) ^ h;
  for (let k = firstRun[c]!; k < firstRun[c + 1]!; k++) {
    const r = runOrder[k]!;
    hash = Math.imul(hash ^ (runY[r]! - y0), 0x01000193);
    hash = Math.imul(hash ^ (runStart[r]! - x0), 0x01000193);
    hash = Math.imul(hash ^ (runEnd[r]! - x0), 0x01000193);
  }
  return hash >>> 0;
}

/** True when components a and b have the same runs relative to their corners: the same bitmap. */
function sameRuns(components: Components, a: number, b: number): boolean {
  const { runOrder, runStart, runEnd, runY, firstRun, minX, minY, maxX, maxY } = components;
  const count = firstRun[a + 1]! - firstRun[a]!;
  if (count !== firstRun[b + 1]! - firstRun[b]!) return false;
  if (maxX[a]! - minX[a]! !== maxX[b]! - minX[b]! || maxY[a]! - minY[a]! !== maxY[b]! - minY[b]!) return false;
  const dx = minX[b]! - minX[a]!;
  const dy = minY[b]! - minY[a]!;
  for (let i = 0; i < count; i++) {
    const ra = runOrder[firstRun[a]! + i]!;
    const rb = runOrder[firstRun[b]! + i]!;
    if (runY[rb]! - runY[ra]! !== dy || runStart[rb]! - runStart[ra]! !== dx || runEnd[rb]! - runEnd[ra]! !== dx) return false;
  }
  return true;
}

/**
 * The bucket key extractSymbols gives a one-component bitmap (for tests that need two glyphs in one
 * bucket): the hash of its runs. Undefined unless the bitmap is exactly one 8-connected component.
 */
export function componentHash(bitmap: Bitmap): number | undefined {
  const components = findComponents(bitmap, DEFAULT_SYMBOL_LIMITS.maxRuns, DEFAULT_SYMBOL_LIMITS.maxComponents);
  if (!components || components.count !== 1) return undefined;
  const [x0, y0] = [components.minX[0]!, components.minY[0]!];
  return hashRuns(components, 0, x0, y0, components.maxX[0]! - x0 + 1, components.maxY[0]! - y0 + 1);
}

/** FNV-1a over the size and the packed rows; only a bucket key, equality is always checked in full. */
export function hashBitmap(bitmap: Bitmap): number {
  let h = 0x811c9dc5 ^ bitmap.width;
  h = Math.imul(h, 0x01000193) ^ bitmap.height;
  const rowBytes = (bitmap.width + 7) >> 3;
  for (let y = 0; y < bitmap.height; y++) {
    const row = y * bitmap.stride;
    for (let i = 0; i < rowBytes; i++) h = Math.imul(h ^ bitmap.data[row + i]!, 0x01000193);
  }
  return h >>> 0;
}
