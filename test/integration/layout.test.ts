import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { rasterize, type RasterizeOptions } from "../../dist/index.js";
import { leftoverTempDirs, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { decodeImage, inspectPdf, type PageInfo } from "../helpers/pdf.js";

// sample.pdf page 1 is Letter (612x792 pt) with a blue circle of radius 80 pt centred at (420, 292)
// from the top-left corner, and a red rectangle (217, 26, 26) from (72, 212) to (272, 372).
const A4 = { width: 595.276, height: 841.89 };
const MM = 72 / 25.4;

let tmp: string;
beforeAll(() => {
  tmp = scratch("pdfraster-layout-");
  process.env.TMPDIR = tmp;
});

async function run(name: string, options: RasterizeOptions): Promise<PageInfo[]> {
  const out = join(tmp, `${name}.pdf`);
  const report = await rasterize(SAMPLE, out, { dpi: 72, workers: 1, ...options });
  expect(report.failed).toEqual([]);
  return (await inspectPdf(out)).pages;
}

/** Bounding box of the blue circle in the page image, in image pixels. */
async function blueCircle(page: PageInfo): Promise<{ cx: number; cy: number; width: number; height: number }> {
  const image = await decodeImage(page.images[0]!);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * image.channels;
      if (image.data[i + 2]! > 150 && image.data[i]! < 100 && image.data[i + 1]! < 150) {
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      }
    }
  }
  expect(x1, "no blue circle in the image").toBeGreaterThan(0);
  return { cx: (x0 + x1 + 1) / 2, cy: (y0 + y1 + 1) / 2, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function expectPlacement(page: PageInfo, [w, h, x, y]: [number, number, number, number]): void {
  const [a, b, c, d, e, f] = page.placement!;
  expect([b, c]).toEqual([0, 0]);
  expect(a).toBeCloseTo(w, 1);
  expect(d).toBeCloseTo(h, 1);
  expect(e).toBeCloseTo(x, 1);
  expect(f).toBeCloseTo(y, 1);
}

describe("--fit on A4 (Letter page 1 at 72 DPI: 1 pt = 1 px)", () => {
  it("contain: the whole page, scaled 0.9727 to the paper's width, centred vertically", async () => {
    const [page] = await run("contain", { size: "A4", pages: "1" });
    expect(page!.width).toBeCloseTo(A4.width, 1);
    expect(page!.height).toBeCloseTo(A4.height, 1);
    const s = A4.width / 612;
    expectPlacement(page!, [A4.width, 792 * s, 0, (A4.height - 792 * s) / 2]);
    expect([page!.images[0]!.width, page!.images[0]!.height]).toEqual([595, 770]);
    const circle = await blueCircle(page!);
    expect(circle.cx).toBeCloseTo(420 * s, -0.5);
    expect(circle.cy).toBeCloseTo(292 * s, -0.5);
    expect(Math.abs(circle.width - 160 * s)).toBeLessThanOrEqual(3);
    expect(Math.abs(circle.height - circle.width)).toBeLessThanOrEqual(2);
  });

  it("cover: fills the paper, scaled 1.063 to its height, the sides cropped", async () => {
    const [page] = await run("cover", { size: "A4", fit: "cover", pages: "1" });
    expectPlacement(page!, [A4.width, A4.height, 0, 0]);
    expect([page!.images[0]!.width, page!.images[0]!.height]).toEqual([595, 842]);
    const s = A4.height / 792;
    const cropped = (612 * s - A4.width) / 2;
    const circle = await blueCircle(page!);
    expect(circle.cx).toBeCloseTo(420 * s - cropped, -0.5);
    expect(circle.cy).toBeCloseTo(292 * s, -0.5);
    expect(Math.abs(circle.width - 160 * s)).toBeLessThanOrEqual(3);
    expect(Math.abs(circle.height - circle.width)).toBeLessThanOrEqual(2);
  });

  it("fill: stretched to the paper, so the circle becomes an upright ellipse", async () => {
    const [page] = await run("fill", { size: "A4", fit: "fill", pages: "1" });
    expectPlacement(page!, [A4.width, A4.height, 0, 0]);
    const [sx, sy] = [A4.width / 612, A4.height / 792];
    const circle = await blueCircle(page!);
    expect(circle.cx).toBeCloseTo(420 * sx, -0.5);
    expect(circle.cy).toBeCloseTo(292 * sy, -0.5);
    expect(Math.abs(circle.width - 160 * sx)).toBeLessThanOrEqual(3);
    expect(Math.abs(circle.height - 160 * sy)).toBeLessThanOrEqual(3);
    expect(circle.height / circle.width).toBeGreaterThan(1.06);
  });

  it("none: 100% scale, centred, the width cropped to the paper", async () => {
    const [page] = await run("none", { size: "A4", fit: "none", pages: "1" });
    expectPlacement(page!, [A4.width, 792, 0, (A4.height - 792) / 2]);
    expect([page!.images[0]!.width, page!.images[0]!.height]).toEqual([595, 792]);
    const circle = await blueCircle(page!);
    expect(circle.cx).toBeCloseTo(420 - (612 - A4.width) / 2, -0.5);
    expect(circle.cy).toBeCloseTo(292, -0.5);
    expect(Math.abs(circle.width - 160)).toBeLessThanOrEqual(3);
  });
});

describe("--orientation", () => {
  it("auto follows each page; landscape and portrait force the paper", async () => {
    const auto = await run("auto", { size: "A4", pages: "1-2" });
    expect(auto.map((p) => [Math.round(p.width), Math.round(p.height)])).toEqual([
      [595, 842],
      [842, 595],
    ]);

    const landscape = await run("landscape", { size: "A4", orientation: "landscape", pages: "1-2" });
    expect(landscape.map((p) => [Math.round(p.width), Math.round(p.height)])).toEqual([
      [842, 595],
      [842, 595],
    ]);
    const s1 = A4.width / 792; // the portrait Letter page fits the landscape sheet's height
    expectPlacement(landscape[0]!, [612 * s1, A4.width, (A4.height - 612 * s1) / 2, 0]);

    const portrait = await run("portrait", { size: "A4", orientation: "portrait", pages: "1-2" });
    expect(portrait.map((p) => [Math.round(p.width), Math.round(p.height)])).toEqual([
      [595, 842],
      [595, 842],
    ]);
    const s2 = A4.width / A4.height; // the landscape A4 page fits the portrait sheet's width
    expectPlacement(portrait[1]!, [A4.width, A4.width * s2, 0, (A4.height - A4.width * s2) / 2]);
    expect([portrait[1]!.images[0]!.width, portrait[1]!.images[0]!.height]).toEqual([595, 421]);
  });
});

describe("--margin and --background", () => {
  it("four margins (top,right,bottom,left) shrink the content box the page is fitted into", async () => {
    const [page] = await run("margins", { size: "A4", margin: "10mm,20mm,30mm,40mm", pages: "1" });
    expect(page!.width).toBeCloseTo(A4.width, 1);
    const box = { x: 40 * MM, y: 30 * MM, width: A4.width - 60 * MM, height: A4.height - 40 * MM };
    const s = Math.min(box.width / 612, box.height / 792);
    expect(s).toBeCloseTo(0.6948, 3);
    expectPlacement(page!, [612 * s, 792 * s, box.x, box.y + (box.height - 792 * s) / 2]);
    expect(page!.content).not.toMatch(/ rg /); // white paper: nothing painted
  });

  it("with --size original the sheet grows by the margins", async () => {
    const [page] = await run("original-margin", { margin: "0.5in", pages: "1" });
    expect([page!.width, page!.height]).toEqual([612 + 72, 792 + 72]);
    expectPlacement(page!, [612, 792, 36, 36]);
    expect([page!.images[0]!.width, page!.images[0]!.height]).toEqual([612, 792]);
  });

  it("cover clips the page to the content box, never over the margins", async () => {
    const [page] = await run("cover-margin", { size: "A4", fit: "cover", margin: "20mm", pages: "1" });
    expectPlacement(page!, [A4.width - 40 * MM, A4.height - 40 * MM, 20 * MM, 20 * MM]);
  });

  it("paints the margins and the page's own transparent paper in the background colour", async () => {
    const [page] = await run("background", { margin: "0.5in", background: "#336699", format: "png", pages: "1" });
    expect(page!.content).toMatch(/^q 0\.2 0\.4 0\.6 rg 0 0 684 864 re f Q/);
    const image = await decodeImage(page!.images[0]!);
    const pixel = (x: number, y: number): number[] => [...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];
    expect(pixel(20, 20)).toEqual([0x33, 0x66, 0x99]); // blank page area: lossless, so exact
    expect(pixel(150, 300)).toEqual([217, 26, 26]); // the red rectangle is drawn over it
  });
});

describe("--pages", () => {
  it("keeps order and repeats as written, with open ranges and `last`", async () => {
    const size = (p: PageInfo): number[] => [Math.round(p.width), Math.round(p.height)];
    const pages = await run("pages", { pages: "5,1-2,2" });
    expect(pages.map(size)).toEqual([
      [595, 842],
      [612, 792],
      [842, 595],
      [842, 595],
    ]);
    expect((await run("open", { pages: "4-" })).map(size)).toEqual([
      [300, 400],
      [595, 842],
    ]);
    expect((await run("last", { pages: "last,1" })).map(size)).toEqual([
      [595, 842],
      [612, 792],
    ]);
  });

  it("a page beyond the document is a usage error (exit 2) that names the page count; nothing is written", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([SAMPLE, out, "--pages", "2-9"], { env: { TMPDIR: dir } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pdfraster: Page 9 .* the document has 5 pages\n$/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes its temp directories", () => {
    expect(leftoverTempDirs(tmp).filter((name) => !name.startsWith("pdfraster-test-"))).toEqual([]);
  });
});
