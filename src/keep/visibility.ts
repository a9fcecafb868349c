/**
 * Which text runs `--keep-text` may carry over: only text that is visible where it stands. The
 * decisive test is ink: in the page's own render, the pixels under a run's glyphs must not all be
 * one colour. Text that left no ink there is hidden, whatever hid it: drawn in the background's
 * colour, covered by an image or a box, clipped away, in an optional-content layer that is off,
 * drawn in render mode 3 (invisible) over nothing, or too small to leave a mark. Invisible text
 * over a scan (an OCR layer) stands on the scan's ink, so it is kept. One cheap test comes first:
 * a run under {@link MIN_FONT_PT} is dropped without looking (pdf.js's text content does not
 * expose the render mode or the clip, so those are left to the ink).
 *
 * What this cannot see: whose ink it is. Text hidden under a photograph or a pattern, or drawn
 * exactly over other visible text, stands on ink and is kept. Pure functions.
 */
import type { SourceTextRun } from "./types.js";

/** A rendered page or band: `channels` bytes per pixel, row by row, the colour first (RGB). */
export interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Where the raster's pixels are in the page's displayed space: pixel = point * scale + offset. */
export interface Placement {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

/** A font size below this (points, in the displayed page) is not text anyone can read. */
export const MIN_FONT_PT = 1;
/** Two colours closer than this in every channel (0..255) are one colour to the eye: no ink. */
export const INK_CONTRAST = 40;
/** The share of a run's pixels that must be ink (a run of one "." or "-" inks a few per cent of its box). */
export const MIN_INK_SHARE = 0.01;
/** Pixels looked at per run at most: a bigger run is sampled on a grid (time per page stays bounded). */
export const MAX_SAMPLES = 4096;
/** A run covering fewer pixels than this is looked at with a pixel of its surroundings (its glyphs are a blur). */
const MIN_SAMPLES = 24;
/**
 * The part of a run's box (in font sizes above the baseline) where its glyphs leave ink: from just
 * under the baseline (descenders reach ~0.2) to under the cap height (~0.7), clear of the lines
 * above and below at any usual leading.
 */
const BOX_BOTTOM = -0.15;
const BOX_TOP = 0.75;

export type Verdict = "visible" | "hidden" | "off-raster";

/**
 * Under this resolution, glyphs are a blur that can fill a run's box with one grey (at 30 ppi a
 * 9 pt run is 3 pixels high): the text is judged on the page rendered at this resolution instead.
 */
export const CHECK_MIN_PPI = 96;
/** A check render (above, or a banded page's whole page) has at most this many pixels (an A4 page at ~290 ppi). */
export const TEXT_CHECK_PIXELS = 2 ** 23;

/**
 * By how much a page's raster is scaled for the render its text is judged on, or undefined when
 * it is judged on the raster itself: up to {@link CHECK_MIN_PPI}, within {@link TEXT_CHECK_PIXELS};
 * a banded page's first band always has one (its own pixels show only its rows).
 */
export function textCheckScale(raster: { width: number; height: number; scaleX: number; scaleY: number }, banded: boolean): number | undefined {
  const ppi = Math.min(Math.abs(raster.scaleX), Math.abs(raster.scaleY)) * 72;
  const scale = Math.min(Math.max(1, CHECK_MIN_PPI / ppi), Math.sqrt(TEXT_CHECK_PIXELS / (raster.width * raster.height)));
  return banded || scale > 1 ? scale : undefined;
}

/**
 * Whether `run` left ink in `raster`. "off-raster": its box is not in the raster at all (the page
 * is cropped there: the master drops such runs by their place on the sheet).
 */
export function judgeRun(run: SourceTextRun, raster: Raster, at: Placement): Verdict {
  const [ax, ay, ux, uy, ox, oy] = run.matrix;
  const fontSize = Math.hypot(ux, uy);
  if (!(fontSize >= MIN_FONT_PT)) return "hidden";
  // The run's glyph box in pixels: origin o, along a (the run's length), up u (one font size).
  const px = (x: number): number => x * at.scaleX + at.offsetX;
  const py = (y: number): number => y * at.scaleY + at.offsetY;
  const a: [number, number] = [ax * at.scaleX, ay * at.scaleY];
  const u: [number, number] = [ux * at.scaleX, uy * at.scaleY];
  const o: [number, number] = [px(ox) + BOX_BOTTOM * u[0], py(oy) + BOX_BOTTOM * u[1]];
  const span = BOX_TOP - BOX_BOTTOM;
  const v: [number, number] = [u[0] * span, u[1] * span];
  const det = a[0] * v[1] - a[1] * v[0];
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return "hidden";
  const corners = [o, [o[0] + a[0], o[1] + a[1]], [o[0] + v[0], o[1] + v[1]], [o[0] + a[0] + v[0], o[1] + a[1] + v[1]]];
  const xs = corners.map((c) => c[0]!);
  const ys = corners.map((c) => c[1]!);
  let x0 = Math.max(0, Math.floor(Math.min(...xs)));
  let x1 = Math.min(raster.width, Math.ceil(Math.max(...xs)));
  let y0 = Math.max(0, Math.floor(Math.min(...ys)));
  let y1 = Math.min(raster.height, Math.ceil(Math.max(...ys)));
  if (x1 <= x0 || y1 <= y0) return "off-raster";
  // Inside the box: (s, t) = the pixel centre in the run's coordinates, both in [0, 1].
  const inBox = (x: number, y: number, slack: number): boolean => {
    const dx = x - o[0];
    const dy = y - o[1];
    const s = (dx * v[1] - dy * v[0]) / det;
    const t = (a[0] * dy - a[1] * dx) / det;
    return s >= -slack && s <= 1 + slack && t >= -slack && t <= 1 + slack;
  };
  // A run a few pixels big: its glyphs are a blur that may fill its whole box with one grey; a pixel
  // of the surroundings on each side gives the blur something to differ from.
  const area = Math.abs(det);
  let slack = 0;
  if (area < MIN_SAMPLES) {
    slack = Math.max(1 / Math.hypot(...a), 1 / Math.hypot(...v));
    x0 = Math.max(0, x0 - 1);
    y0 = Math.max(0, y0 - 1);
    x1 = Math.min(raster.width, x1 + 1);
    y1 = Math.min(raster.height, y1 + 1);
  }
  const step = Math.max(1, Math.sqrt(((x1 - x0) * (y1 - y0)) / MAX_SAMPLES));
  const samples: number[] = [];
  for (let y = y0 + step / 2; y < y1; y += step) {
    for (let x = x0 + step / 2; x < x1; x += step) {
      if (inBox(x, y, slack)) samples.push((Math.floor(y) * raster.width + Math.floor(x)) * raster.channels);
    }
  }
  if (samples.length === 0) {
    // Thinner than a pixel: the pixel under its middle, and the ones around it.
    const cx = Math.min(raster.width - 1, Math.max(0, Math.floor(o[0] + a[0] / 2 + v[0] / 2)));
    const cy = Math.min(raster.height - 1, Math.max(0, Math.floor(o[1] + a[1] / 2 + v[1] / 2)));
    for (let y = Math.max(0, cy - 1); y <= Math.min(raster.height - 1, cy + 1); y++) {
      for (let x = Math.max(0, cx - 1); x <= Math.min(raster.width - 1, cx + 1); x++) samples.push((y * raster.width + x) * raster.channels);
    }
  }
  return hasInk(raster.data, samples) ? "visible" : "hidden";
}

/**
 * Whether the pixels at `offsets` are not all one colour: the share of them that differ from their
 * per-channel median by more than {@link INK_CONTRAST} reaches {@link MIN_INK_SHARE}. The median is
 * the background where glyphs cover less than half the box, the ink where they cover more: either
 * way the other pixels differ from it.
 */
export function hasInk(data: Uint8Array, offsets: readonly number[]): boolean {
  if (offsets.length < 2) return false;
  const median = [0, 1, 2].map((channel) => {
    const histogram = new Uint32Array(256);
    for (const at of offsets) histogram[data[at + channel]!]!++;
    let seen = 0;
    for (let value = 0; value < 256; value++) {
      seen += histogram[value]!;
      if (seen * 2 >= offsets.length) return value;
    }
    return 255;
  });
  let ink = 0;
  for (const at of offsets) {
    if (
      Math.abs(data[at]! - median[0]!) > INK_CONTRAST ||
      Math.abs(data[at + 1]! - median[1]!) > INK_CONTRAST ||
      Math.abs(data[at + 2]! - median[2]!) > INK_CONTRAST
    ) {
      ink++;
    }
  }
  return ink >= 2 && ink >= MIN_INK_SHARE * offsets.length;
}

/**
 * The runs of a page that are visible in its render (and those the raster does not show, which
 * the master crops by place), and how many were hidden.
 */
export function visibleRuns(runs: readonly SourceTextRun[], raster: Raster, at: Placement): { runs: SourceTextRun[]; hidden: number } {
  const kept: SourceTextRun[] = [];
  let hidden = 0;
  for (const run of runs) {
    if (judgeRun(run, raster, at) === "hidden") hidden++;
    else kept.push(run);
  }
  return { runs: kept, hidden };
}
