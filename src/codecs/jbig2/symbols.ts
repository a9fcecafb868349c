import { bitmapsEqual, createBitmap, type Bitmap } from "./bitmap.js";
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

  const classes: { bitmap: Bitmap; positions: number[] }[] = [];
  const byHash = new Map<number, number[]>();
  const residual: number[] = [];
  // Each component is drawn into one scratch buffer; only the first of each class is copied out.
  let scratch = new Uint8Array(0);
  for (let c = 0; c < components.count; c++) {
    const x0 = components.minX[c]!;
    const y0 = components.minY[c]!;
    const w = components.maxX[c]! - x0 + 1;
    const h = components.maxY[c]! - y0 + 1;
    if (w > limits.maxSymbolSize || h > limits.maxSymbolSize) {
      residual.push(c);
      continue;
    }
    const stride = (w + 7) >> 3;
    const size = stride * h;
    if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
    const symbol: Bitmap = { width: w, height: h, stride, data: scratch };
    drawRuns(symbol, components, c, x0, y0);
    const hash = hashBitmap(symbol);
    const candidates = byHash.get(hash);
    let match = -1;
    if (candidates) {
      for (const k of candidates) {
        if (bitmapsEqual(classes[k]!.bitmap, symbol)) {
          match = k;
          break;
        }
      }
    }
    if (match < 0) {
      match = classes.length;
      classes.push({ bitmap: { width: w, height: h, stride, data: scratch.slice(0, size) }, positions: [] });
      if (candidates) candidates.push(match);
      else byHash.set(hash, [match]);
    }
    scratch.fill(0, 0, size);
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
