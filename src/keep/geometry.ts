/**
 * Maps positions from a page's displayed space (points, y down) onto its output sheet (points,
 * y up), through the same layout that places the raster: displayed point → raster pixel
 * (`scale`, `offset`) → sheet (the image box). Pure functions.
 */
import type { Box, PageLayout } from "../paper.js";
import type { Matrix } from "../pdf/writer.js";

/** The affine map from displayed-page points to sheet points; it only scales and translates. */
export function displayToSheet(layout: PageLayout): Matrix {
  const { image, pixelWidth, pixelHeight } = layout;
  const kx = image.width / pixelWidth;
  const ky = image.height / pixelHeight;
  return [layout.scaleX * kx, 0, 0, -layout.scaleY * ky, image.x + layout.offsetX * kx, image.y + image.height - layout.offsetY * ky];
}

export function applyToPoint(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** `m` after `n`: maps what `n` maps from, through `n` then `m`. */
export function compose(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

/** Whether a point is inside `box` (a hair of slack for rounding). */
export function inside(box: Box, x: number, y: number): boolean {
  const e = 1e-6;
  return x >= box.x - e && x <= box.x + box.width + e && y >= box.y - e && y <= box.y + box.height + e;
}

/**
 * A run's matrix on the sheet, or undefined when the run is cropped away (its middle is outside
 * the visible image, as with `fit: cover` or `none`) or degenerate.
 */
export function runOnSheet(run: Matrix, toSheet: Matrix, visible: Box): Matrix | undefined {
  const m = compose(toSheet, run);
  const [cx, cy] = applyToPoint(m, 0.5, 0.3);
  if (!m.every(Number.isFinite) || !inside(visible, cx, cy)) return undefined;
  if (Math.abs(m[0] * m[3] - m[1] * m[2]) < 1e-9) return undefined;
  return m;
}

/** A displayed-space rectangle [x1 y1 x2 y2] on the sheet, clipped to the visible image; undefined when nothing is left. */
export function rectOnSheet(
  rect: readonly [number, number, number, number],
  toSheet: Matrix,
  visible: Box,
): [number, number, number, number] | undefined {
  const [ax, ay] = applyToPoint(toSheet, rect[0], rect[1]);
  const [bx, by] = applyToPoint(toSheet, rect[2], rect[3]);
  const x1 = Math.max(Math.min(ax, bx), visible.x);
  const y1 = Math.max(Math.min(ay, by), visible.y);
  const x2 = Math.min(Math.max(ax, bx), visible.x + visible.width);
  const y2 = Math.min(Math.max(ay, by), visible.y + visible.height);
  return x2 > x1 && y2 > y1 ? [x1, y1, x2, y2] : undefined;
}
