import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BandCollector } from "../../src/bands/collect.js";
import { bandedTasks, PROBE_PIXELS, probeOf } from "../../src/bands/plan.js";
import { balanceBands, bandRequest, splitBands, BAND_ROW_MULTIPLE, DEFAULT_BAND_PIXELS } from "../../src/bands/split.js";
import { packRgb } from "../../src/engines/pdfjs/rgb.js";
import { chooseBox } from "../../src/engines/boxes.js";
import { stackBands } from "../../src/pdf/writer.js";
import type { PageResult, PageTask } from "../../src/pool/messages.js";
import { scratch } from "../helpers/cli.js";
import { pageTask } from "../helpers/task.js";

describe("splitBands", () => {
  it("keeps a raster within the budget whole", () => {
    expect(splitBands(1000, 1000, 1_000_000)).toEqual([{ index: 0, count: 1, top: 0, height: 1000 }]);
  });

  it.each([
    [19866, 25709, 2 ** 25],
    [19859, 28087, 2 ** 25],
    [2550, 3300, 1_000_000],
    [1275, 1650, 1],
    [100, 17, 1000],
  ])("%dx%d in %d-pixel bands: 16-row multiples, equal but the last, edge to edge, within the budget", (width, height, budget) => {
    const bands = splitBands(width, height, budget);
    expect(bands.length).toBeGreaterThan(1);
    let top = 0;
    for (const band of bands) {
      expect(band).toMatchObject({ top, count: bands.length });
      top += band.height;
    }
    expect(top).toBe(height);
    const rows = bands[0]!.height;
    expect(rows % BAND_ROW_MULTIPLE).toBe(0);
    expect(bands.slice(0, -1).every((b) => b.height === rows)).toBe(true);
    expect(bands.at(-1)!.height).toBeGreaterThan(0);
    if (rows > BAND_ROW_MULTIPLE) expect(width * rows).toBeLessThanOrEqual(budget);
    // As few bands as the budget allows, at most one more than the bare minimum.
    expect(bands.length).toBeLessThanOrEqual(Math.ceil((width * height) / Math.max(budget, width * BAND_ROW_MULTIPLE)) + 1);
  });

  it("tracemonkey p1 on A0 at 600 DPI in the default budget: 8 bands of 3216 rows", () => {
    const bands = splitBands(19866, 25709, DEFAULT_BAND_PIXELS);
    expect(bands.map((b) => b.height)).toEqual([...Array(7).fill(3216), 25709 - 7 * 3216]);
  });

  it("at least as many bands as asked, of equal height: 9 bands of A0 at 600 DPI become 10 for 2 workers", () => {
    expect(splitBands(19866, 28087, DEFAULT_BAND_PIXELS).length).toBe(9);
    const bands = splitBands(19866, 28087, DEFAULT_BAND_PIXELS, 10);
    expect(bands.map((b) => b.height)).toEqual([...Array(9).fill(2816), 28087 - 9 * 2816]);
    expect(splitBands(19866, 28087, DEFAULT_BAND_PIXELS, 16).length).toBe(16);
    // Never fewer than the budget needs, never under 16 rows, and a page within the budget stays whole.
    expect(splitBands(19866, 28087, DEFAULT_BAND_PIXELS, 2).length).toBe(9);
    expect(splitBands(100, 40, 1000, 10).map((b) => b.height)).toEqual([16, 16, 8]);
    expect(splitBands(1000, 1000, 1_000_000, 4)).toHaveLength(1);
  });

  it("a band's request is the page's, shifted up by its top row", () => {
    const page = { pageNumber: 1, width: 100, height: 200, scaleX: 2, scaleY: 2, offsetX: 5, offsetY: 7, background: [255, 255, 255] as [number, number, number] };
    expect(bandRequest(page, { index: 1, count: 2, top: 96, height: 104 })).toEqual({ ...page, height: 104, offsetY: 7 - 96 });
  });
});

describe("balanceBands", () => {
  it("rounds the banded pages' bands up to a multiple of the workers, on the last banded page", () => {
    expect(balanceBands([9], 2)).toEqual([10]);
    expect(balanceBands([9], 1)).toEqual([9]);
    expect(balanceBands([9], 3)).toEqual([9]);
    expect(balanceBands([9], 4)).toEqual([12]);
    expect(balanceBands([9], 16)).toEqual([16]);
    expect(balanceBands([9, 9], 2)).toEqual([9, 9]); // 18 bands share out evenly already
    expect(balanceBands([9, 1, 5, 1], 4)).toEqual([9, 1, 7, 1]); // 14 -> 16: the last banded page takes them
    expect(balanceBands([1, 1, 1], 8)).toEqual([1, 1, 1]); // no banded page: nothing to do
    expect(balanceBands([], 2)).toEqual([]);
  });
});

const TASK: PageTask = pageTask({
  id: 7,
  source: "in.pdf",
  pageNumber: 3,
  width: 1000,
  height: 1000,
  scaleX: 4,
  scaleY: 4,
  offsetY: 10,
  format: "auto",
  ppi: 288,
  outPath: "/tmp/x/page-000007.img",
  pad: { top: 30, right: 20, bottom: 40, left: 10 },
  extract: { text: "visible", links: false, path: "/tmp/x/page-000007.json" },
});

describe("bandedTasks", () => {
  it("a page within the budget is its own task", () => {
    expect(bandedTasks(TASK, { budget: 10 ** 6, limit: 10 ** 7, images: false, firstId: 7 })).toEqual({ tasks: [TASK] });
  });

  it("bands: consecutive ids and files, the side padding on each, text from the first, one probe for all", () => {
    const result = bandedTasks(TASK, { budget: 300_000, limit: 10 ** 7, images: true, firstId: 7 });
    if (!("tasks" in result)) throw new Error(result.error);
    const { tasks } = result;
    expect(tasks.map((t) => [t.id, t.height, t.offsetY, t.band])).toEqual([
      [7, 256, 10, { index: 0, count: 4, top: 0, joined: true }],
      [8, 256, 10 - 256, { index: 1, count: 4, top: 256, joined: true }],
      [9, 256, 10 - 512, { index: 2, count: 4, top: 512, joined: true }],
      [10, 232, 10 - 768, { index: 3, count: 4, top: 768, joined: true }],
    ]);
    expect(tasks.map((t) => t.outPath)).toEqual(["/tmp/x/page-000007.img", "/tmp/x/page-000008.img", "/tmp/x/page-000009.img", "/tmp/x/page-000010.img"]);
    expect(tasks.every((t) => t.pad?.top === 0 && t.pad.bottom === 0 && t.pad.left === 10 && t.pad.right === 20)).toBe(true);
    expect(tasks.map((t) => t.extract !== undefined)).toEqual([true, false, false, false]);
    expect(new Set(tasks.map((t) => JSON.stringify(t.probe))).size).toBe(1);
    expect(tasks[0]!.probe).toEqual(probeOf(TASK));
  });

  it("no probe unless the format is auto (and the colour not mono)", () => {
    for (const change of [{ format: "jpeg" as const }, { color: "mono" as const }]) {
      const result = bandedTasks({ ...TASK, ...change }, { budget: 300_000, limit: 10 ** 7, images: false, firstId: 0 });
      expect("tasks" in result && result.tasks.every((t) => t.probe === undefined)).toBe(true);
    }
  });

  it("a raster too wide for a 16-row band under the engines' limit cannot be drawn", () => {
    expect(bandedTasks(TASK, { budget: 1, limit: 15_999, images: false, firstId: 0 })).toEqual({
      error: "a raster 1000 pixels wide is wider than the renderer can draw in bands of 16 rows (15999 pixels): lower --dpi",
    });
  });

  it("the probe is the whole page at most PROBE_PIXELS, through the same placement", () => {
    const probe = probeOf({ ...TASK, width: 20000, height: 28000 });
    expect(probe.width * probe.height).toBeLessThanOrEqual(PROBE_PIXELS * 1.001);
    expect(probe.width / probe.height).toBeCloseTo(20000 / 28000, 3);
    expect(probe.scaleX / TASK.scaleX).toBeCloseTo(probe.width / 20000, 6);
    expect(probe.offsetY / TASK.offsetY).toBeCloseTo(probe.height / 28000, 6);
  });
});

describe("packRgb", () => {
  it.each([[0], [1], [3], [4], [5], [1001]])("packs %d RGBA pixels to RGB in place, whatever the buffer's alignment", (pixels) => {
    for (const offset of [0, 1, 4]) {
      const memory = Buffer.alloc(offset + pixels * 4);
      const rgba = memory.subarray(offset);
      for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37 + 11) & 255;
      const expected = Buffer.alloc(pixels * 3);
      for (let p = 0; p < pixels; p++) rgba.copy(expected, p * 3, p * 4, p * 4 + 3);
      const rgb = packRgb(rgba);
      expect(rgb.buffer).toBe(memory.buffer); // the same memory, no copy
      expect(rgb.equals(expected)).toBe(true);
    }
  });
});

describe("stackBands", () => {
  it("stacks bands by their rows in the box, each band's bottom the next one's top, exactly", () => {
    const box = { x: 12.5, y: 33.3, width: 600, height: 793.7 };
    const boxes = stackBands([1616, 1616, 1616, 467], box);
    expect(boxes[0]!.y + boxes[0]!.height).toBeCloseTo(box.y + box.height, 9);
    expect(boxes.at(-1)!.y).toBe(box.y);
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.y + boxes[i]!.height).toBe(boxes[i - 1]!.y);
    expect(boxes[0]!.height / boxes[3]!.height).toBeCloseTo(1616 / 467, 3);
    expect(stackBands([5], box)).toEqual([box]);
  });
});

describe("chooseBox (the PDF specification's fallbacks)", () => {
  const media: [number, number, number, number] = [0, 0, 400, 300];
  it("bleed, trim and art fall back to the CropBox, the CropBox to the MediaBox; all are cut to the MediaBox", () => {
    expect(chooseBox({ crop: [10, 10, 390, 290] }, "trim", media)).toEqual([10, 10, 390, 290]);
    expect(chooseBox({}, "art", media)).toEqual(media);
    expect(chooseBox({}, "crop", media)).toEqual(media);
    expect(chooseBox({ bleed: [-10, -10, 410, 310] }, "bleed", media)).toEqual(media);
    expect(chooseBox({ trim: [30, 30, 370, 270], crop: [10, 10, 390, 290] }, "trim", media)).toEqual([30, 30, 370, 270]);
    expect(chooseBox({ crop: [500, 500, 600, 600] }, "crop", media)).toEqual(media); // nothing left of it: the MediaBox
  });
});

describe("BandCollector", () => {
  const result = (path: string): PageResult => ({
    id: 0,
    engine: "pdfjs",
    path,
    bytes: 1,
    outputBytes: 1,
    format: "jpeg",
    width: 1,
    height: 1,
    components: 3,
    bitsPerComponent: 8,
    timings: { load: 0, draw: 0, readback: 0, encode: 0, write: 0, total: 0 },
  });

  it("completes a page when all its bands are in, in any order", () => {
    const c = new BandCollector([[0, 3], [1, 1]]);
    expect(c.add(0, 2, result("c"))).toBeUndefined();
    expect(c.add(1, 0, result("x"))!.map((r) => r.path)).toEqual(["x"]);
    expect(c.add(0, 0, result("a"))).toBeUndefined();
    expect(c.add(0, 1, result("b"))!.map((r) => r.path)).toEqual(["a", "b", "c"]);
  });

  it("a failed page fails once; its collected and later bands are deleted", async () => {
    const dir = scratch();
    const files = ["a", "b", "c"].map((n) => join(dir, n));
    for (const f of files) writeFileSync(f, "x");
    const c = new BandCollector([[0, 3]]);
    c.add(0, 0, result(files[0]!));
    expect(c.fail(0)).toBe(true);
    expect(c.fail(0, result(files[1]!))).toBe(false);
    expect(c.add(0, 2, result(files[2]!))).toBeUndefined();
    expect(c.hasFailed(0)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(files.map(existsSync)).toEqual([false, false, false]);
  });
});
