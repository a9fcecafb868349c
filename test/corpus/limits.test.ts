/**
 * The largest legitimate pages, in bands with the defaults but stored as JPEG bands (whose seams the
 * test can decode and check): tracemonkey page 1 on A0 at 600 DPI (511 M pixels) and a full-bleed A0
 * page at 600 DPI (558 M pixels, over the canvas limit and MuPDF's pixmap limit, which used to fail
 * it): exit 0 within the default --page-timeout, the right pixel size, the bands' rows at every
 * boundary equal to the page's own rows there (no seam), and every worker's peak RSS under 1 GB
 * (docs/outputs.md, "Big pages"). The PDF default, auto, in bands: test/integration/bilevel.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { expect, it } from "vitest";
import { openEngine } from "../../src/engines/registry.js";
import { normalizeOptions } from "../../src/options.js";
import { layoutPage } from "../../src/paper.js";
import { pdfimagesList } from "../helpers/bands.js";
import { corpus, SAMPLE, scratch } from "../helpers/cli.js";
import { inspectPdf } from "../helpers/pdf.js";
import { nodeDescendantsOf, startCli } from "../helpers/processes.js";

/** Runs the CLI, sampling its workers' peak RSS (VmHWM) as it goes: the node processes below it (inside the sandbox too). */
async function runMeasured(args: string[], env: NodeJS.ProcessEnv) {
  const started = startCli(args, { env });
  const peaks = new Map<number, number>();
  const timer = setInterval(() => {
    for (const pid of nodeDescendantsOf(started.child.pid!)) {
      try {
        const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"))?.[1] ?? 0);
        peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kb));
      } catch {
        // gone
      }
    }
  }, 100);
  const result = await started.done;
  clearInterval(timer);
  return { result, workerPeakMb: Math.max(0, ...peaks.values()) / 1024, workers: peaks.size };
}

/**
 * The rows around each band boundary of the output, against the same rows rendered in one piece by
 * the engine in this process: a band placed a row off, a gap or a doubled row would differ there
 * by far more than JPEG's rounding (mean 1-3 levels).
 */
async function expectNoSeam(out: string, input: string, pageNumber: number, engineName: "pdfjs" | "mupdf", options: Parameters<typeof normalizeOptions>[0]) {
  const page = (await inspectPdf(out)).pages[0]!;
  const engine = await openEngine(engineName, input);
  try {
    const geometry = await engine.geometry(pageNumber);
    const layout = layoutPage(geometry.widthPt, geometry.heightPt, normalizeOptions(options));
    let top = 0;
    for (const [i, band] of page.images.entries()) {
      if (i > 0) {
        const rows = 8;
        const window = await engine.render({
          pageNumber,
          width: layout.pixelWidth,
          height: rows * 2,
          scaleX: layout.scaleX,
          scaleY: layout.scaleY,
          offsetX: layout.offsetX,
          offsetY: layout.offsetY - (top - rows),
          background: [255, 255, 255],
        });
        const expected = await sharp(Buffer.from(window.rgba), { raw: { width: window.width, height: window.height, channels: window.channels } })
          .removeAlpha()
          .raw()
          .toBuffer();
        window.release();
        const previous = page.images[i - 1]!;
        const above = await sharp(Buffer.from(previous.data)).extract({ left: 0, top: previous.height - rows, width: previous.width, height: rows }).raw().toBuffer();
        const below = await sharp(Buffer.from(band.data)).extract({ left: 0, top: 0, width: band.width, height: rows }).raw().toBuffer();
        const actual = Buffer.concat([above, below]);
        let sum = 0;
        for (let k = 0; k < actual.length; k++) sum += Math.abs(actual[k]! - expected[k]!);
        expect(sum / actual.length, `rows ${top - rows}-${top + rows}`).toBeLessThan(3);
      }
      top += band.height;
    }
  } finally {
    await engine.close();
  }
}

it("renders tracemonkey page 1 on A0 at 600 DPI (511 M pixels) in bands on 2 workers, seamless, each worker under 1 GB", async () => {
  const dir = scratch();
  const out = join(dir, "a0.pdf");
  // JPEG bands (not the PDF default, auto): the seam check decodes each band as an image.
  const args = [corpus("tracemonkey.pdf"), out, "--pages", "1", "--size", "A0", "--dpi", "600", "--format", "jpeg", "--workers", "2", "--json", "--quiet"];
  const { result, workerPeakMb, workers } = await runMeasured(args, { TMPDIR: dir });
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 1, failed: [], retried: [] });
  const sizes = pdfimagesList(out);
  expect(sizes.length).toBe(8);
  expect(sizes.every(([w]) => w === 19866)).toBe(true);
  expect(sizes.slice(0, -1).every(([, h]) => h % 16 === 0)).toBe(true);
  expect(sizes.reduce((sum, [, h]) => sum + h, 0)).toBe(25709);
  console.log(`tracemonkey p1 on A0 at 600 DPI: ${sizes.length} bands, ${workers} workers, worker peak RSS ${Math.round(workerPeakMb)} MB`);
  expect(workers).toBe(2);
  expect(workerPeakMb).toBeLessThan(1024);
  await expectNoSeam(out, corpus("tracemonkey.pdf"), 1, "pdfjs", { size: "A0", dpi: 600 });
}, 600_000);

it("renders a full-bleed A0 page at 600 DPI (558 M pixels: over the canvas and pixmap limits) with MuPDF, each worker under 1 GB", async () => {
  const dir = scratch();
  const out = join(dir, "bleed.pdf");
  const args = [SAMPLE, out, "--pages", "5", "--size", "A0", "--dpi", "600", "--format", "jpeg", "--engine", "mupdf", "--workers", "2", "--json", "--quiet"];
  const { result, workerPeakMb } = await runMeasured(args, { TMPDIR: dir });
  expect(result.code, result.stderr).toBe(0);
  const sizes = pdfimagesList(out);
  expect(sizes.every(([w]) => w === 19859)).toBe(true);
  expect(sizes.reduce((sum, [, h]) => sum + h, 0)).toBe(28087);
  console.log(`sample p5 full-bleed on A0 at 600 DPI (MuPDF): ${sizes.length} bands, worker peak RSS ${Math.round(workerPeakMb)} MB`);
  expect(workerPeakMb).toBeLessThan(1024);
  await expectNoSeam(out, SAMPLE, 5, "mupdf", { size: "A0", dpi: 600 });
}, 600_000);
