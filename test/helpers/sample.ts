import sharp from "sharp";
import { expect } from "vitest";
import type { PdfInfo } from "./pdf.js";

/**
 * Checks an output of fixtures/sample.pdf rendered at 72 DPI with `--size original`: each page's
 * own pixel size, /Rotate 90 on page 3 (its bar on the left) and the CropBox of page 4 (its frame).
 */
export async function expectSampleAt72Dpi(pdf: PdfInfo): Promise<void> {
  expect(pdf.pages.map((p) => [p.images[0]!.width, p.images[0]!.height])).toEqual([
    [612, 792],
    [842, 595],
    [792, 612],
    [300, 400],
    [595, 842],
  ]);

  // Page 3's orange bar lies along the bottom edge of the unrotated page: turned 90° clockwise, it is on the left.
  const { data, info } = await sharp(pdf.pages[2]!.images[0]!.data).raw().toBuffer({ resolveWithObject: true });
  const pixel = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
  const [r, g, b] = pixel(20, 306);
  expect(r).toBeGreaterThan(200);
  expect(g).toBeGreaterThan(120);
  expect(g).toBeLessThan(190);
  expect(b).toBeLessThan(60);
  expect(pixel(771, 306).every((c) => c > 235)).toBe(true); // the right edge is white paper
  // Page 4 is cropped to its CropBox: a dark 20 pt frame around the light rectangle.
  const crop = await sharp(pdf.pages[3]!.images[0]!.data).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): number => crop.data[(y * crop.info.width + x) * 3]!;
  expect(at(5, 200)).toBeLessThan(80);
  expect(at(150, 300)).toBeGreaterThan(230);
}
