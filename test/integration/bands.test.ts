/**
 * Banded rendering through the real CLI with bands forced small (`--band-pixels`, the tuning knob):
 * the banded page against the same page rendered whole, in PDF and image output, with each engine,
 * the encodings, the keep options, and faults in single bands spread over two workers.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { corpus, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { difference, pageRaster, pdfimagesList, rowDifference, type Raster } from "../helpers/bands.js";
import { inspectPdf } from "../helpers/pdf.js";
import { startCli, workerPidsOf } from "../helpers/processes.js";

interface Report {
  rendered: number;
  failed: { page: number; reason: string }[];
  retried: number[];
  outputPages: number;
}

/** Renders `args` to out.pdf in a fresh dir; returns the report, the pages' rasters and the JSON progress events. */
async function render(input: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = scratch();
  const out = join(dir, "out.pdf");
  const result = await runCli([input, out, "--json", "--progress", "json", ...args], { env: { TMPDIR: dir, ...env } });
  const report = result.stdout ? (JSON.parse(result.stdout) as Report) : undefined;
  const events = result.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const pages = existsSync(out) ? (await inspectPdf(out)).pages : [];
  const rasters = await Promise.all(pages.filter((page) => page.images.length > 0).map(pageRaster));
  return { dir, out, result, report, rasters, events };
}

/** A 150 DPI tracemonkey page in bands of 16 rows at least (about 2.6 k pixels: every band is 16 rows). */
const TINY_BANDS = ["--band-pixels", "1"];

describe("a banded page equals the page rendered whole", () => {
  for (const engine of ["mupdf", "pdfjs"] as const) {
    it(`${engine}: PNG, every row, and the bands are 16 rows high`, async () => {
      const args = ["--pages", "1,5", "--dpi", "100", "--format", "png", "--engine", engine, "--workers", "2"];
      const whole = await render(SAMPLE, args);
      const banded = await render(SAMPLE, [...args, "--band-pixels", "100000"]);
      expect(banded.result.code, banded.result.stderr).toBe(0);
      expect(banded.report).toMatchObject({ rendered: 2, failed: [], outputPages: 2 });
      for (const [i, raster] of banded.rasters.entries()) {
        const reference = whole.rasters[i]!;
        expect(reference.bandTops).toEqual([0]);
        expect(raster.bandTops.length).toBeGreaterThan(5);
        expect(raster.bandTops.every((top) => top % 16 === 0)).toBe(true);
        const d = difference(raster, reference);
        console.log(`${engine} page ${[1, 5][i]}: ${raster.bandTops.length} bands; ${(d.share * 100).toFixed(4)}% of bytes differ, at most by ${d.max}`);
        if (engine === "mupdf") {
          // MuPDF: identical but for a few pixels by 1-2 levels (an image's interpolation at a band's edge).
          expect(d.max).toBeLessThanOrEqual(2);
          expect(d.share).toBeLessThan(0.002);
        } else {
          // pdf.js on Skia: the anti-aliased edges of curves differ (the circle of page 1, the image's
          // edge on page 5), since each band's coordinates are rounded differently; flat areas and text are equal.
          expect(d.share).toBeLessThan(0.003);
        }
      }
    });
  }

  it("no seam: the banded PDF, drawn by a viewer, is the whole page's, row for row at every band boundary", async () => {
    // Page 4: a dark frame and a light panel across every band boundary; a gap between two band
    // images would show as a row of white paper, an overlap as a doubled row. mutool draws both
    // outputs identically; pdftoppm (Splash) scales a 32-row image differently from an 800-row one
    // all over the page, so it cannot tell a seam from its own resampling.
    const args = ["--pages", "4", "--dpi", "144", "--format", "png", "--engine", "mupdf"];
    const whole = await render(SAMPLE, args);
    const banded = await render(SAMPLE, [...args, "--band-pixels", "20000"]);
    const draw = async (pdf: string): Promise<Raster> => {
      execFileSync("mutool", ["draw", "-q", "-r", "144", "-c", "rgb", "-o", `${pdf}.png`, pdf]);
      const { data, info } = await sharp(`${pdf}.png`).raw().toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, channels: info.channels, data, bandTops: [0] };
    };
    const [a, b] = [await draw(banded.out), await draw(whole.out)];
    const tops = banded.rasters[0]!.bandTops;
    expect(tops.length).toBeGreaterThan(10);
    for (const top of tops.slice(1)) {
      for (const y of [top - 1, top]) expect(rowDifference(a, b, y), `row ${y}`).toBeLessThan(0.05);
    }
  });

  it("JPEG bands are multiples of 16 rows, their PDF rows in one image box", async () => {
    const banded = await render(corpus("tracemonkey.pdf"), ["--pages", "1", "--dpi", "150", ...TINY_BANDS]);
    expect(banded.result.code, banded.result.stderr).toBe(0);
    const sizes = pdfimagesList(banded.out);
    expect(sizes.every(([w]) => w === 1275)).toBe(true);
    expect(sizes.slice(0, -1).every(([, h]) => h === 16)).toBe(true);
    expect(sizes.reduce((sum, [, h]) => sum + h, 0)).toBe(1650);
    const pdf = await inspectPdf(banded.out);
    expect(pdf.pages[0]!.images).toHaveLength(sizes.length);
    // Progress counts pages, not bands.
    const done = banded.events.filter((e) => e.type === "page-done");
    expect(done).toHaveLength(1);
    // ...and lists the page's bands, top to bottom: the worker of each and its time.
    const bands = done[0]!.bands as Array<{ worker: number; ms: number }>;
    expect(bands).toHaveLength(sizes.length);
    expect(bands.every((b) => Number.isInteger(b.worker) && b.worker > 0 && b.ms >= 0)).toBe(true);
    expect(Math.abs(bands.reduce((sum, b) => sum + b.ms, 0) - (done[0]!.ms as number))).toBeLessThanOrEqual(bands.length); // each rounded
  });
});

describe("encodings and options on bands", () => {
  it("--format auto decides per page: every band of a page has the encoding the whole page gets", async () => {
    // tracemonkey p1: gray text (1-bit at 300 dpi); the sample's p5: a colour image (JPEG).
    const text = ["--pages", "1", "--dpi", "300", "--format", "auto"];
    const whole = await render(corpus("tracemonkey.pdf"), text);
    const banded = await render(corpus("tracemonkey.pdf"), [...text, "--band-pixels", "500000"]);
    expect(banded.result.code, banded.result.stderr).toBe(0);
    const encodingOf = (events: Record<string, unknown>[]): unknown => events.find((e) => e.type === "page-done")!.encoding;
    expect(encodingOf(banded.events)).toBe(encodingOf(whole.events));
    const images = (await inspectPdf(banded.out)).pages[0]!.images;
    expect(images.length).toBeGreaterThan(10);
    const kinds = new Set(images.map((i) => `${i.colorSpace} ${i.bitsPerComponent}`));
    expect([...kinds]).toEqual(["/DeviceGray 1"]);
    // Each 1-bit band is coded with the smaller of JBIG2 and G4 (a band with few glyphs may be G4).
    expect(images.every((i) => i.filter === "/JBIG2Decode" || i.filter === "/CCITTFaxDecode")).toBe(true);
    expect(images.some((i) => i.filter === "/JBIG2Decode")).toBe(true);
    const photo = ["--pages", "5", "--dpi", "150", "--format", "auto"];
    const wholePhoto = await render(SAMPLE, photo);
    const bandedPhoto = await render(SAMPLE, [...photo, "--band-pixels", "100000"]);
    expect(encodingOf(bandedPhoto.events)).toBe(encodingOf(wholePhoto.events));
    expect(new Set((await inspectPdf(bandedPhoto.out)).pages[0]!.images.map((i) => i.filter)).size).toBe(1);
  });

  it("--color mono: 1-bit bands, the same pixels as the whole page", async () => {
    const args = ["--pages", "1", "--dpi", "150", "--color", "mono", "--engine", "mupdf"];
    const whole = await render(corpus("tracemonkey.pdf"), args);
    const banded = await render(corpus("tracemonkey.pdf"), [...args, ...TINY_BANDS]);
    const images = (await inspectPdf(banded.out)).pages[0]!.images;
    expect(images.every((i) => i.bitsPerComponent === 1 && i.colorSpace === "/DeviceGray")).toBe(true);
    expect(difference(banded.rasters[0]!, whole.rasters[0]!).share).toBeLessThan(0.0005);
  });

  it("--keep-text on a banded page: one text layer, the same text as the whole page's", async () => {
    const args = ["--pages", "1", "--dpi", "100", "--keep-text", "--engine", "mupdf"];
    const whole = await render(corpus("tracemonkey.pdf"), args);
    const banded = await render(corpus("tracemonkey.pdf"), [...args, ...TINY_BANDS]);
    const text = (pdf: string): string => execFileSync("pdftotext", [pdf, "-"], { encoding: "utf8" });
    expect(text(banded.out)).toBe(text(whole.out));
    expect(text(banded.out)).toMatch(/Trace-based Just-in-Time/);
  });
});

describe("image output of a banded page", () => {
  let dir: string;
  beforeAll(() => {
    dir = scratch();
  });

  it.each([
    ["png", "mupdf"],
    ["jpeg", "mupdf"],
    ["png", "pdfjs"],
  ])("%s (%s): one file per page, the bands joined, the same size and pixels as the page rendered whole", async (format, engine) => {
    const run = async (name: string, extra: string[]) => {
      const out = join(dir, `${name}-${format}-${engine}`) + "/";
      const result = await runCli([SAMPLE, out, "--pages", "2,4", "--dpi", "100", "--format", format, "--engine", engine, "--margin", "10mm", "--quiet", ...extra], {
        env: { TMPDIR: dir },
      });
      expect(result.code, result.stderr).toBe(0);
      return out;
    };
    const whole = await run("whole", []);
    const banded = await run("banded", ["--band-pixels", "30000"]);
    expect(readdirSync(banded).sort()).toEqual(readdirSync(whole).sort());
    for (const name of readdirSync(whole)) {
      const [a, b] = await Promise.all([join(banded, name), join(whole, name)].map((p) => sharp(p).raw().toBuffer({ resolveWithObject: true })));
      expect([a!.info.width, a!.info.height]).toEqual([b!.info.width, b!.info.height]);
      const ra = { width: a!.info.width, height: a!.info.height, channels: a!.info.channels, data: a!.data, bandTops: [] };
      const rb = { width: b!.info.width, height: b!.info.height, channels: b!.info.channels, data: b!.data, bandTops: [] };
      const d = difference(ra, rb);
      // The rows differ as in PDF output (above); JPEG spreads each differing pixel over its 8x8 block.
      expect(d.share, name).toBeLessThan(format === "jpeg" ? 0.01 : engine === "mupdf" ? 0.002 : 0.003);
    }
    expect(readdirSync(dir).filter((n) => n.startsWith("pdfraster-"))).toEqual([]);
  });
});

describe("faults in one band of a page spread over two workers", () => {
  const args = ["--pages", "1", "--dpi", "100", "--workers", "2", "--band-pixels", "100000"];

  it.each([
    ["killed (SIGKILL)", "kill"],
    ["exiting", "exit"],
    ["throwing", "throw"],
  ])("a band whose worker is %s is retried; the page is rendered, its first attempt reported", async (_, action) => {
    const dir = scratch();
    const { result, report, rasters } = await render(SAMPLE, args, { PDFRASTER_FAULT: `${action}@1,band=3,once=${join(dir, "marker")}` });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(dir, "marker"))).toBe(true);
    expect(report).toMatchObject({ rendered: 1, failed: [], retried: [1] });
    expect(rasters[0]!.height).toBe(1100);
  });

  it("a band that fails twice fails its page once, with the reason; --on-error blank stands in for the whole page", async () => {
    const { out, result, report, rasters, events } = await render(SAMPLE, [...args, "--on-error", "blank"], { PDFRASTER_FAULT: "throw@1,band=2" });
    expect(result.code).toBe(3);
    expect(report!.failed).toEqual([{ page: 1, reason: "injected fault on page 1 (PDFRASTER_FAULT)" }]);
    expect(report!.outputPages).toBe(1);
    expect(rasters).toEqual([]); // the blank page has no image
    expect((await inspectPdf(out)).pages).toHaveLength(1);
    expect(events.filter((e) => e.type === "page-failed" && e.willRetry === false)).toHaveLength(1);
  });

  it("a band that hangs times out, is retried, and fails the page as timed out; the other bands are not reported", async () => {
    const { result, report } = await render(SAMPLE, [...args, "--page-timeout", "3", "--on-error", "skip"], { PDFRASTER_FAULT: "hang@1,band=1" });
    expect(result.code).toBe(3);
    expect(report).toMatchObject({ failed: [{ page: 1, reason: "timed out after 3 s" }], retried: [1], outputPages: 0 });
  });
});

describe("one page in bands", () => {
  it("has a multiple of --workers bands, so that the workers finish together; one worker keeps the budget's count", async () => {
    // tracemonkey p1 at 100 DPI (850x1100) in bands of 150,000 pixels: 7 bands of 176 rows within the budget.
    const args = ["--pages", "1", "--dpi", "100", "--band-pixels", "150000", "--engine", "pdfium"];
    const counts: number[] = [];
    let reference: Raster | undefined;
    for (const workers of [1, 2, 3]) {
      const run = await render(corpus("tracemonkey.pdf"), [...args, "--workers", String(workers)]);
      expect(run.result.code, run.result.stderr).toBe(0);
      const sizes = pdfimagesList(run.out);
      counts.push(sizes.length);
      expect(sizes.reduce((sum, [, h]) => sum + h, 0)).toBe(1100);
      expect(sizes.slice(0, -1).every(([, h]) => h % 16 === 0 && h === sizes[0]![1])).toBe(true);
      // The same rows however the page is cut (PDFium: but for a few anti-aliased edge pixels).
      reference ??= run.rasters[0]!;
      expect(difference(run.rasters[0]!, reference).share).toBeLessThan(0.0005);
    }
    expect(counts).toEqual([7, 8, 9]);
  });

  it("renders on as many workers as it has bands (up to --workers), not on one because it is one page", async () => {
    const dir = scratch();
    // tracemonkey page 1 at 300 dpi in bands of 2^17 pixels: about 64 bands, each drawing the page again (several seconds in all).
    const run = startCli([corpus("tracemonkey.pdf"), join(dir, "out.pdf"), "--pages", "1", "--band-pixels", "131072", "--workers", "2", "--progress", "json"], { cwd: dir });
    let opened = false;
    let most = 0;
    const sampling = setInterval(() => {
      // document-open is reported once the plan is made (workers are then sized to its tasks).
      opened ||= run.stderr().includes('"type":"document-open"');
      if (opened && run.child.pid !== undefined) most = Math.max(most, workerPidsOf(run.child.pid).length);
    }, 100);
    const result = await run.done.finally(() => clearInterval(sampling));
    expect(result.code, result.stderr).toBe(0);
    expect(opened).toBe(true);
    expect(most).toBe(2);
  });
});
