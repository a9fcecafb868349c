/**
 * Mixed raster content: where a page's photographic regions are (photographs, logos with shading,
 * gradients), so that they can go into a JPEG while the text and line art around them go into
 * flat-colour layers (codecs/layers). Pure: pixels in, rectangles out.
 *
 * How: the page is cut into tiles of `tile` pixels; a tile is photographic when its two most common
 * exact colours cover less than `flatShare` of it and it holds at least `minColours` distinct colours
 * (text and line art are paper and ink with anti-aliased edges between them: the two dominate every
 * tile; a photograph or a gradient has no dominant colour). Photographic tiles are grouped into
 * 8-connected clusters; each cluster's bounding box, grown by one tile (a photograph's edge that
 * crosses a tile which is mostly paper), is trimmed back to the last row or column that is not all
 * the paper's colour, so that the rectangle ends on the photograph's own edge where it has one. Overlapping
 * rectangles are merged.
 */

/** A rectangle of page pixels: its top-left corner and its size. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RegionLimits {
  /** Tile edge in pixels. @default 32 */
  tile: number;
  /** A tile whose two commonest colours cover less than this share is photographic. @default 0.5 */
  flatShare: number;
  /** Distinct colours a photographic tile holds at least (of the quarter of its pixels sampled). @default 16 */
  minColours: number;
  /** Photographic tiles a cluster needs to be a region (fewer: a few busy glyphs, left to the layers). @default 4 */
  minTiles: number;
}

/**
 * Rectangles a page may have before merging; past it (a page of scattered busy tiles: noise, a
 * halftone) they become their one bounding box, so that merging (quadratic in their number) stays bounded.
 */
export const MAX_REGIONS = 256;

export const DEFAULT_REGION_LIMITS: RegionLimits = { tile: 32, flatShare: 0.5, minColours: 16, minTiles: 4 };

/** The page's photographic regions, disjoint, in reading order (top to bottom, then left to right). */
export function findPhotoRegions(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, limits: RegionLimits = DEFAULT_REGION_LIMITS): Rect[] {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`Expected a page of at least 1 x 1 pixels, got ${width} x ${height}`);
  if (pixels.length < width * height * channels) throw new RangeError(`Expected ${width * height * channels} bytes of pixels, got ${pixels.length}`);
  return regionsOfTiles(photoTiles(pixels, width, height, channels, limits), pixels, width, height, channels, limits.tile, limits.minTiles);
}

/**
 * Rectangles around the clusters of set tiles (`flags`, row-major, `tile` pixels each) of at least
 * `minTiles` tiles: each cluster's bounding box grown by one tile and trimmed to the page's content,
 * overlapping ones merged; in reading order.
 */
export function regionsOfTiles(flags: Uint8Array, pixels: Uint8Array, width: number, height: number, channels: 3 | 4, tile: number, minTiles: number): Rect[] {
  const tilesX = Math.ceil(width / tile);
  const tilesY = Math.ceil(height / tile);
  if (flags.length !== tilesX * tilesY) throw new RangeError(`Expected ${tilesX * tilesY} tile flags, got ${flags.length}`);
  const rects: Rect[] = [];
  for (const cluster of clusters(flags, tilesX, tilesY)) {
    if (cluster.count < minTiles) continue;
    const x0 = Math.max(0, (cluster.x0 - 1) * tile);
    const y0 = Math.max(0, (cluster.y0 - 1) * tile);
    const x1 = Math.min(width, (cluster.x1 + 2) * tile);
    const y1 = Math.min(height, (cluster.y1 + 2) * tile);
    const rect = trim(pixels, width, channels, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
    if (rect.width > 0 && rect.height > 0) rects.push(rect);
  }
  if (rects.length > MAX_REGIONS) return [boundingBox(rects)];
  return mergeOverlapping(rects).sort((a, b) => a.y - b.y || a.x - b.x);
}

/** One flag per tile (row-major): photographic or not. */
export function photoTiles(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, limits: RegionLimits = DEFAULT_REGION_LIMITS): Uint8Array {
  const { tile } = limits;
  const tilesX = Math.ceil(width / tile);
  const tilesY = Math.ceil(height / tile);
  const flags = new Uint8Array(tilesX * tilesY);
  // Exact colours of one tile, counted in an open-addressed table cleared per tile (a quarter of a tile's pixels are sampled: at most half full).
  const size = 1 << Math.ceil(Math.log2(tile * tile));
  const bits = Math.log2(size);
  const keys = new Int32Array(size);
  const counts = new Uint32Array(size);
  const used = new Int32Array(size);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      const x0 = tx * tile;
      const y0 = ty * tile;
      const x1 = Math.min(width, x0 + tile);
      const y1 = Math.min(height, y0 + tile);
      let distinct = 0;
      let last = -1;
      let lastSlot = 0;
      let sampled = 0;
      // Every other pixel of every other row: a quarter of the cost, the same shares.
      for (let y = y0; y < y1; y += 2) {
        for (let x = x0, i = (y * width + x0) * channels; x < x1; x += 2, i += 2 * channels) {
          sampled++;
          const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
          if (rgb === last) {
            counts[lastSlot]!++;
            continue;
          }
          let slot = Math.imul(rgb, 0x9e3779b1) >>> (32 - bits);
          while (counts[slot]! > 0 && keys[slot] !== rgb) slot = (slot + 1) & (size - 1);
          if (counts[slot] === 0) {
            keys[slot] = rgb;
            used[distinct++] = slot;
          }
          counts[slot]!++;
          last = rgb;
          lastSlot = slot;
        }
      }
      let first = 0;
      let second = 0;
      for (let k = 0; k < distinct; k++) {
        const n = counts[used[k]!]!;
        if (n > first) {
          second = first;
          first = n;
        } else if (n > second) {
          second = n;
        }
        counts[used[k]!] = 0;
      }
      if (distinct >= limits.minColours && first + second < limits.flatShare * sampled) flags[ty * tilesX + tx] = 1;
    }
  }
  return flags;
}

interface Cluster {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  count: number;
}

/** The 8-connected clusters of set tiles, with their bounding boxes in tiles. */
function clusters(flags: Uint8Array, tilesX: number, tilesY: number): Cluster[] {
  const seen = new Uint8Array(flags.length);
  const stack: number[] = [];
  const out: Cluster[] = [];
  for (let start = 0; start < flags.length; start++) {
    if (!flags[start] || seen[start]) continue;
    const cluster: Cluster = { x0: tilesX, y0: tilesY, x1: -1, y1: -1, count: 0 };
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const t = stack.pop()!;
      const tx = t % tilesX;
      const ty = (t - tx) / tilesX;
      cluster.count++;
      cluster.x0 = Math.min(cluster.x0, tx);
      cluster.x1 = Math.max(cluster.x1, tx);
      cluster.y0 = Math.min(cluster.y0, ty);
      cluster.y1 = Math.max(cluster.y1, ty);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = tx + dx;
          const ny = ty + dy;
          if (nx < 0 || ny < 0 || nx >= tilesX || ny >= tilesY) continue;
          const n = ny * tilesX + nx;
          if (flags[n] && !seen[n]) {
            seen[n] = 1;
            stack.push(n);
          }
        }
      }
    }
    out.push(cluster);
  }
  return out;
}

/**
 * `rect` without its outer rows and columns that are all the colour of its top-left corner (the
 * paper around a photograph: the rectangle was grown by a tile past it).
 */
function trim(pixels: Uint8Array, width: number, channels: 3 | 4, rect: Rect): Rect {
  let { x, y, width: w, height: h } = rect;
  const at = (px: number, py: number): number => {
    const i = (py * width + px) * channels;
    return (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
  };
  const margin = at(x, y);
  const marginRow = (row: number): boolean => {
    for (let px = x; px < x + w; px++) if (at(px, row) !== margin) return false;
    return true;
  };
  const marginColumn = (column: number): boolean => {
    for (let py = y; py < y + h; py++) if (at(column, py) !== margin) return false;
    return true;
  };
  while (h > 0 && marginRow(y)) {
    y++;
    h--;
  }
  while (h > 0 && marginRow(y + h - 1)) h--;
  while (w > 0 && h > 0 && marginColumn(x)) {
    x++;
    w--;
  }
  while (w > 0 && h > 0 && marginColumn(x + w - 1)) w--;
  return { x, y, width: w, height: h };
}

/** The smallest rectangle holding all of `rects` (at least one). */
function boundingBox(rects: readonly Rect[]): Rect {
  const x = Math.min(...rects.map((r) => r.x));
  const y = Math.min(...rects.map((r) => r.y));
  const right = Math.max(...rects.map((r) => r.x + r.width));
  const bottom = Math.max(...rects.map((r) => r.y + r.height));
  return { x, y, width: right - x, height: bottom - y };
}

/** Merges rectangles that overlap, or lie less than `gap` pixels apart, into their bounding box, until none do. */
export function mergeOverlapping(rects: readonly Rect[], gap = 0): Rect[] {
  const out = rects.map((r) => ({ ...r }));
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i]!;
        const b = out[j]!;
        if (a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap) {
          const x = Math.min(a.x, b.x);
          const y = Math.min(a.y, b.y);
          out[i] = { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
          out.splice(j, 1);
          merged = true;
          break;
        }
      }
    }
  }
  return out;
}
