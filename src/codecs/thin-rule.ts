/**
 * Thin rules: a 1- or 2-pixel line (a table rule, a box edge, a form field's border) in a page's
 * pixels. What 1-bit thresholding and flat-colour layers must not lose: a rule's anti-aliased gray is
 * not flat across it, and lighter than a threshold or nearer the paper than the ink, it would vanish
 * (worker/mono.ts, codecs/layers/split.ts; worker/mixed.ts has its own rule for its regions).
 */

/** Pixels of one colour a thin rule runs on for, centred on the pixel tested: 2 mm at 300 DPI (as worker/mixed.ts). */
export const RULE_RUN = 24;

/**
 * Whether pixel (x, y) lies on a thin rule: darker than the pixels either side of it across the rule
 * (or as dark as one of them: a rule two pixels thick), and the same colour for RULE_RUN pixels along
 * it (`horizontal`: along the row). A 1-pixel gray rule or box edge is such a ridge; an anti-aliased
 * edge of a stroke lies between ink and paper (darker on one side, lighter on the other), and the
 * strokes of text do not run on.
 */
export function thinRule(pixels: Uint8Array, width: number, height: number, channels: 3 | 4, x: number, y: number, horizontal: boolean): boolean {
  const half = RULE_RUN >> 1;
  // Steps (in bytes) along the rule and across it; no arrays or closures: called for many edge pixels of a page.
  const along = horizontal ? channels : width * channels;
  const across = horizontal ? width * channels : channels;
  if (horizontal ? x < half || x + half >= width || y < 1 || y + 1 >= height : y < half || y + half >= height || x < 1 || x + 1 >= width) return false;
  const i = (y * width + x) * channels;
  const l = luma(pixels, i);
  const a = luma(pixels, i - across);
  const b = luma(pixels, i + across);
  if (!(l <= a && l <= b && (l < a || l < b))) return false;
  const r = pixels[i]!;
  const g = pixels[i + 1]!;
  const bl = pixels[i + 2]!;
  for (let j = i - half * along, end = i + half * along; j <= end; j += along) {
    if (pixels[j] !== r || pixels[j + 1] !== g || pixels[j + 2] !== bl) return false;
  }
  return true;
}

/** The pixel's luma at byte i, in 1/256ths (BT.601 weights). */
function luma(pixels: Uint8Array, i: number): number {
  return pixels[i]! * 77 + pixels[i + 1]! * 150 + pixels[i + 2]! * 29;
}
