/**
 * Banded rendering, the pure part: which horizontal bands a page's raster is cut into, and the
 * render request of each band. A band renders the page through the page's own transform shifted up
 * by the band's top row, so its rows are the rows of the whole raster (docs/outputs.md, "Big pages").
 */
import type { RenderRequest } from "../engines/engine.js";

/**
 * Band heights are a multiple of this (except the last band's): JPEG's 4:2:0 blocks are 16 rows
 * high, so each band's JPEG has the block grid the whole page's would have, and no seam shows.
 */
export const BAND_ROW_MULTIPLE = 16;

/**
 * Pixels of one band at most, by default (`--band-pixels`). Measured on tracemonkey page 1 drawn
 * onto A0 at 600 DPI (19866x28087 = 558 M pixels, pdf.js, `node bench/bands.mjs --band-pixels`):
 * 2^24: 34 bands, 12.5 s of CPU, worker peak 360 MB; 2^25: 17 bands, 9.7 s, 460 MB; 2^26: 9 bands,
 * 8.6 s, 660 MB (pdftoppm: 5.2 s). Every band draws the whole page's contents clipped to itself, so
 * fewer bands cost less CPU; 2^26 is the fewest within the 1 GB a worker may take, and still 9 bands
 * to share out for such a page. docs/outputs.md, "Big pages".
 */
export const DEFAULT_BAND_PIXELS = 2 ** 26;

/** One band: rows `top` .. `top + height - 1` of the page's raster. */
export interface Band {
  index: number;
  count: number;
  top: number;
  height: number;
}

/**
 * Cuts a `width` x `height` raster into bands of at most `budget` pixels (at least
 * {@link BAND_ROW_MULTIPLE} rows each, whatever the budget), of equal height rounded up to a
 * multiple of 16 rows, the last one taking the rest. A raster within the budget is one band.
 * `atLeast`: cut a raster over the budget into this many bands or more (see {@link balanceBands}),
 * as far as 16-row bands allow.
 */
export function splitBands(width: number, height: number, budget: number, atLeast = 1): Band[] {
  if (!(width >= 1 && height >= 1 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new RangeError(`bad raster size ${width}x${height}`);
  }
  if (width * height <= budget) return [{ index: 0, count: 1, top: 0, height }];
  const maxRows = Math.max(BAND_ROW_MULTIPLE, Math.floor(budget / width / BAND_ROW_MULTIPLE) * BAND_ROW_MULTIPLE);
  // As many bands as the budget needs (or as asked), of equal height (so that they take equal time on the workers).
  const wanted = Math.max(Math.ceil(height / maxRows), atLeast);
  const rows = Math.min(maxRows, Math.max(BAND_ROW_MULTIPLE, Math.ceil(height / wanted / BAND_ROW_MULTIPLE) * BAND_ROW_MULTIPLE));
  const count = Math.ceil(height / rows);
  return Array.from({ length: count }, (_, index) => ({
    index,
    count,
    top: index * rows,
    height: Math.min(rows, height - index * rows),
  }));
}

/**
 * How many bands each page gets so that the workers finish together: `natural` is each page's band
 * count within the budget (1: not banded), `concurrency` how many workers render the document's
 * tasks at once. The banded pages' bands are tasks of about equal cost; when their total is not a
 * multiple of the workers, the last round leaves workers idle while the others draw the page's
 * last bands (9 bands on 2 workers: 5 rounds where 4.5 would do, 11% of the page's time). The last
 * banded page (its bands are the run's tail) takes the few bands more that make the total a
 * multiple: at most `concurrency - 1` more per document, each a share of the same page, so the
 * extra cost is one more redraw of the page's contents per added band. Unbanded pages are left
 * alone (they are small tasks that fill the gaps). Pure.
 */
export function balanceBands(natural: readonly number[], concurrency: number): number[] {
  const counts = [...natural];
  const workers = Math.max(1, Math.floor(concurrency));
  const last = counts.findLastIndex((n) => n > 1);
  if (workers === 1 || last === -1) return counts;
  const total = counts.reduce((sum, n) => (n > 1 ? sum + n : sum), 0);
  counts[last]! += (workers - (total % workers)) % workers;
  return counts;
}

/** The render request of one band of the page rendered by `page`: same scale, shifted up by the band's top. */
export function bandRequest<T extends RenderRequest>(page: T, band: Band): T {
  return { ...page, height: band.height, offsetY: page.offsetY - band.top };
}

/** The largest budget the engines that may draw a band allow: the budget asked for, capped by each engine's raster limit. */
export function bandBudget(asked: number, engineLimits: number[]): number {
  return Math.min(asked, ...engineLimits);
}
