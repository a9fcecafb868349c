import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyToPoint, displayToSheet, rectOnSheet, runOnSheet } from "../../src/keep/geometry.js";
import { Keeper } from "../../src/keep/keeper.js";
import type { PageExtract, SourceOutlineItem } from "../../src/keep/types.js";
import { normalizeOptions } from "../../src/options.js";
import { layoutPage, parseSize, type LayoutOptions } from "../../src/paper.js";
import type { PageResult } from "../../src/pool/messages.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-keep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const A4: LayoutOptions = { size: parseSize("A4"), dpi: 100, fit: "contain", orientation: "auto", margins: [0, 0, 0, 0] };
const ORIGINAL: LayoutOptions = { ...A4, size: "original" };

describe("displayToSheet", () => {
  it("maps the displayed page's corners onto the image box, y flipped", () => {
    const layout = layoutPage(612, 792, A4); // Letter on A4: limited by width, centred vertically
    const m = displayToSheet(layout);
    const { image } = layout;
    const [x0, y0] = applyToPoint(m, 0, 0);
    const [x1, y1] = applyToPoint(m, 612, 792);
    expect(x0).toBeCloseTo(image.x, 3);
    expect(y0).toBeCloseTo(image.y + image.height, 3);
    expect(x1).toBeCloseTo(image.x + image.width, 3);
    expect(y1).toBeCloseTo(image.y, 3);
    expect(image.width).toBeCloseTo(595.28, 1);
    expect(y1).toBeCloseTo((841.89 - 792 * (595.28 / 612)) / 2, 1);
  });

  it("is the identity with a y flip for --size original", () => {
    expect(displayToSheet(layoutPage(612, 792, { ...ORIGINAL, dpi: 72 }))).toEqual([1, 0, 0, -1, 0, 792]);
  });

  it("stretches unevenly with fit fill", () => {
    const m = displayToSheet(layoutPage(600, 800, { ...A4, fit: "fill" }));
    expect(m[0]).toBeCloseTo(595.28 / 600, 2);
    expect(-m[3]).toBeCloseTo(841.89 / 800, 2);
  });
});

describe("runOnSheet and rectOnSheet", () => {
  // A landscape page on portrait A4 with fit cover: the left and right of the page are cropped away.
  const layout = layoutPage(800, 400, { ...A4, orientation: "portrait", fit: "cover" });
  const m = displayToSheet(layout);

  it("keeps a run whose middle is visible and drops one that is cropped away", () => {
    const middle = runOnSheet([100, 0, 0, -10, 350, 200], m, layout.image);
    expect(middle).toBeDefined();
    const scale = 841.89 / 400;
    expect(middle![0]).toBeCloseTo(100 * scale, 2); // the run's width scales with the page
    expect(middle![3]).toBeCloseTo(10 * scale, 2); // y up on the sheet
    expect(runOnSheet([100, 0, 0, -10, 10, 200], m, layout.image)).toBeUndefined();
    expect(runOnSheet([0, 0, 0, -10, 350, 200], m, layout.image)).toBeUndefined(); // degenerate
  });

  it("clips link rectangles to the visible image and drops those outside", () => {
    const rect = rectOnSheet([0, 100, 800, 120], m, layout.image)!;
    expect(rect[0]).toBeCloseTo(0, 3);
    expect(rect[2]).toBeCloseTo(595.28, 1);
    expect(rect[3] - rect[1]).toBeCloseTo(20 * (841.89 / 400), 2);
    expect(rectOnSheet([0, 100, 50, 120], m, layout.image)).toBeUndefined();
  });
});

describe("Keeper", () => {
  const letter = layoutPage(612, 792, { ...ORIGINAL, dpi: 72 });
  // Output order: source pages 3, 1, 3 (a repeat); page 2 is not selected.
  const pages = [3, 1, 3].map((pageNumber) => ({ pageNumber, layout: letter }));
  const result = (extract: unknown, name: string): PageResult => {
    const extractPath = join(dir, name);
    writeFileSync(extractPath, typeof extract === "string" ? extract : JSON.stringify(extract));
    return { id: 0, engine: "pdfjs", path: "", bytes: 1, outputBytes: 1, format: "jpeg", width: 612, height: 792, components: 3, bitsPerComponent: 8, extractPath, timings: { load: 0, draw: 0, readback: 0, encode: 0, write: 0, total: 0 } };
  };
  const item = (title: string, page: number | null, children: SourceOutlineItem[] = [], url: string | null = null): SourceOutlineItem => ({
    title,
    dest: page === null ? null : { page, x: 0, y: 92 },
    url,
    open: false,
    bold: false,
    italic: false,
    color: [255, 0, 0],
    children,
  });
  const outline = [
    item("Three", 3),
    item("Two (not selected), a heading for its kept child", 2, [item("One", 1)]),
    item("Two again, dropped", 2),
    item("Web", null, [], "https://example.org/"),
  ];

  it("maps text and links onto the sheet, names internal targets and drops links to unselected pages", async () => {
    const keeper = Keeper.create({ pages, outline, info: { title: "T", creationDate: new Date(0) } }, { keepText: "visible", keepOutline: true, keepLinks: true, keepMetadata: true })!;
    const extract: PageExtract = {
      text: [{ text: "Hi", matrix: [20, 0, 0, -10, 72, 100] }],
      links: [
        { rect: [72, 90, 92, 102], url: "https://example.com/" },
        { rect: [72, 200, 92, 212], dest: { page: 1, x: 0, y: 92 } },
        { rect: [72, 300, 92, 312], dest: { page: 2, x: 0, y: 0 } },
        { rect: [72, 400, 92, 412], dest: { page: 1, x: 0, y: 92 } },
      ],
    };
    const r = result(extract, "p0.json");
    const overlay = await keeper.overlay(0, r);
    expect(existsSync(r.extractPath!)).toBe(false); // the sidecar is consumed
    expect(overlay!.text).toEqual([{ text: "Hi", matrix: [20, 0, 0, 10, 72, 692] }]);
    expect(overlay!.links).toEqual([
      { rect: [72, 690, 92, 702], uri: "https://example.com/" },
      { rect: [72, 580, 92, 592], dest: "pdfraster-1" },
      { rect: [72, 380, 92, 392], dest: "pdfraster-1" }, // the same target, the same name
    ]);
    [0, 1, 2].forEach((i) => keeper.placed(i, i));
    const { outline: entries, dests } = keeper.structure();
    expect([...dests!]).toEqual([["pdfraster-1", { page: 1, left: 0, top: 700 }]]);
    expect(entries!.map((e) => [e.title, e.target])).toEqual([
      ["Three", { dest: { page: 0, left: 0, top: 700 } }], // the first copy of a repeated page
      ["Two (not selected), a heading for its kept child", undefined],
      ["Web", { uri: "https://example.org/" }],
    ]);
    expect(entries![1]!.children.map((e) => [e.title, e.target])).toEqual([["One", { dest: { page: 1, left: 0, top: 700 } }]]);
    expect(entries![0]!.color).toEqual([1, 0, 0]);
    expect(keeper.info()).toEqual({ title: "T", creationDate: new Date(0) });
  });

  it("points at a later copy when the first copy of a page was left out", () => {
    const keeper = Keeper.create({ pages, outline: [item("Three", 3)] }, { keepText: false, keepOutline: true, keepLinks: false, keepMetadata: false })!;
    keeper.placed(1, 0); // page 3's first copy failed and was skipped
    keeper.placed(2, 1);
    expect(keeper.structure().outline![0]!.target).toEqual({ dest: { page: 1, left: 0, top: 700 } });
    expect(keeper.info()).toBeUndefined();
  });

  it("fails the page on a malformed sidecar, and deletes it", async () => {
    const keeper = Keeper.create({ pages }, { keepText: "visible", keepOutline: false, keepLinks: false, keepMetadata: false })!;
    const bad = result({ text: [{ text: 1, matrix: [] }] }, "bad.json");
    await expect(keeper.overlay(0, bad)).rejects.toThrow(/cannot read the page's text and links: malformed sidecar/);
    expect(existsSync(bad.extractPath!)).toBe(false);
    await expect(keeper.overlay(0, result("{not json", "bad2.json"))).rejects.toThrow(/cannot read the page's text and links/);
  });

  it("is not created when no keep option is on", () => {
    expect(Keeper.create({ pages }, normalizeOptions({}))).toBeUndefined();
  });
});

describe("keep options", () => {
  it("default to false and must be booleans; keepText true is visible text, or all", () => {
    expect(normalizeOptions({ keepText: "all" }).keepText).toBe("all");
    expect(normalizeOptions({ keepText: "visible" }).keepText).toBe("visible");
    expect(normalizeOptions({ keepText: false }).keepText).toBe(false);
    expect(() => normalizeOptions({ keepText: "hidden" as never })).toThrow('Expected `keepText` to be true, false, "visible" or "all", got `hidden` (string)');
    const o = normalizeOptions({ keepText: true, keepLinks: false });
    expect([o.keepText, o.keepOutline, o.keepLinks, o.keepMetadata]).toEqual(["visible", false, false, false]);
    expect(() => normalizeOptions({ keepOutline: "yes" as unknown as boolean })).toThrow("Expected `keepOutline` to be a boolean, got `yes` (string)");
    expect(() => normalizeOptions({ keepMetadata: 1 as unknown as boolean })).toThrow(/`keepMetadata` to be a boolean/);
  });
});
