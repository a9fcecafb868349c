/**
 * An image bigger than --max-pixels (issue 19, item 4): pdf.js is given the limit as its own
 * `maxImageSize`, so it never decodes such an image; it would then leave the image out and draw the
 * page without it, which must not pass for a rendered page: the page fails with the reason, and the
 * fallback engine, if any, draws it. Real CLI runs on a generated document (a 5,000 x 5,000 black
 * image, 25 KB of Flate) and poppler's render of the output.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HAS_REFERENCE_TOOLS, leftoverTempDirs, runCli, scratch } from "../helpers/cli.js";
import { makeBigImagePdf } from "../helpers/hostile-pdfs.js";

describe("an image over --max-pixels", () => {
  const dir = scratch();
  const input = join(dir, "image.pdf");
  makeBigImagePdf(input, 5000); // 25 million pixels
  const args = ["--dpi", "20", "--max-pixels", "10000000"]; // the page's raster is 56 x 56: only the image is over

  it("fails its page with the reason on pdf.js (exit 3), instead of a blank page", async () => {
    const out = join(dir, "out.pdf");
    const run = await runCli([input, out, ...args, "--quiet"], { env: { TMPDIR: dir } });
    // Before the fix pdf.js had no image limit: it decoded the whole image (exit 0).
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("pdfraster: 1 page(s) failed:\n  page 1: Page 1: an image has more than 10000000 pixels (--max-pixels): pdf.js would leave it out\n");
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it.skipIf(!HAS_REFERENCE_TOOLS)("is drawn by the fallback engine when there is one (PDFium: black, as the image is)", async () => {
    const out = join(dir, "fallback.pdf");
    const run = await runCli([input, out, ...args, "--fallback-engine", "pdfium"], { env: { TMPDIR: dir } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/1\/1 pages rendered \(1 by pdfium\)/);
    const gray = execFileSync("pdftoppm", ["-r", "20", "-gray", out]); // PGM: the header, then one byte per pixel
    const pixels = gray.subarray(gray.length - 50 * 50);
    expect(Math.max(...pixels)).toBeLessThan(16);
  });
});
