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
  const [dx, dy] = horizontal ? [1, 0] : [0, 1];
  if (x - half * dx < 0 || y - half * dy < 0 || x + half * dx >= width || y + half * dy >= height) return false;
  if (horizontal ? y < 1 || y + 1 >= height : x < 1 || x + 1 >= width) return false;
  const at = (px: number, py: number): number => (py * width + px) * channels;
  const luma = (i: number): number => pixels[i]! * 77 + pixels[i + 1]! * 150 + pixels[i + 2]! * 29;
  const i = at(x, y);
  const l = luma(i);
  const a = luma(at(x - dy, y - dx));
  const b = luma(at(x + dy, y + dx));
  if (!(l <= a && l <= b && (l < a || l < b))) return false;
  for (let k = -half; k <= half; k++) {
    const j = at(x + k * dx, y + k * dy);
    if (pixels[j] !== pixels[i] || pixels[j + 1] !== pixels[i + 1] || pixels[j + 2] !== pixels[i + 2]) return false;
  }
  return true;
}
