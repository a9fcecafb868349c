import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { layoutPage, parseLength, parseMargins, parseSize, sheetPadding, type LayoutOptions, type Paper } from "../../src/paper.js";

const MM = 72 / 25.4;
const paper = (spec: string): Paper => {
  const size = parseSize(spec);
  if (size === "original") throw new Error("expected a paper");
  return size;
};
const base: LayoutOptions = { size: "original", dpi: 72, fit: "contain", orientation: "auto", margins: [0, 0, 0, 0] };

describe("parseSize", () => {
  it.each([
    ["A4", 210, 297],
    ["a3", 297, 420],
    ["A0", 841, 1189],
    ["A10", 26, 37],
    ["B0", 1000, 1414],
    ["b5", 176, 250],
    ["B10", 31, 44],
  ])("knows ISO %s as %d x %d mm", (name, w, h) => {
    const p = paper(name);
    expect(p.width / MM).toBeCloseTo(w, 6);
    expect(p.height / MM).toBeCloseTo(h, 6);
  });

  it.each([
    ["Letter", 612, 792],
    ["LEGAL", 612, 1008],
    ["tabloid", 792, 1224],
    ["Ledger", 1224, 792],
    ["executive", 522, 756],
  ])("knows %s in points", (name, w, h) => {
    expect(paper(name)).toMatchObject({ width: w, height: h });
  });

  it("parses custom sizes with units", () => {
    expect(paper("210x297mm").width).toBeCloseTo(595.28, 2);
    expect(paper("8.5x11in")).toMatchObject({ width: 612, height: 792 });
    expect(paper("10 x 20 cm").height).toBeCloseTo(566.93, 2);
    expect(paper("100x200pt")).toMatchObject({ width: 100, height: 200 });
  });

  it("keeps original", () => {
    expect(parseSize("Original")).toBe("original");
  });

  it.each(["A11", "C4", "210x297", "0x10mm", "axbmm", "", "-5x5in", "300x300in"])("rejects %j", (bad) => {
    expect(() => parseSize(bad)).toThrow(UsageError);
  });
});

describe("parseLength and parseMargins", () => {
  it("converts units to points", () => {
    expect(parseLength("1in")).toBe(72);
    expect(parseLength("25.4mm")).toBeCloseTo(72, 9);
    expect(parseLength("2.54cm")).toBeCloseTo(72, 9);
    expect(parseLength("0")).toBe(0);
    expect(() => parseLength("10")).toThrow(/unit/);
  });

  it("accepts one or four margins", () => {
    expect(parseMargins("1in")).toEqual([72, 72, 72, 72]);
    expect(parseMargins("1in,2in,3in,4in")).toEqual([72, 144, 216, 288]);
    expect(() => parseMargins("1in,2in")).toThrow(/four/);
  });
});

describe("layoutPage", () => {
  it("keeps the page size for original, pixels at the DPI", () => {
    const l = layoutPage(612, 792, { ...base, dpi: 300 });
    expect([l.sheetWidth, l.sheetHeight]).toEqual([612, 792]);
    expect([l.pixelWidth, l.pixelHeight]).toEqual([2550, 3300]);
    expect(l.image).toEqual({ x: 0, y: 0, width: 612, height: 792 });
    expect(l.scaleX).toBeCloseTo(300 / 72, 9);
    expect([l.offsetX, l.offsetY]).toEqual([0, 0]);
  });

  it("fits a Letter page inside A4, centred, rendered at the fitted pixel size", () => {
    const a4 = paper("A4");
    const l = layoutPage(612, 792, { ...base, size: a4, dpi: 300 });
    expect([l.sheetWidth, l.sheetHeight]).toEqual([a4.width, a4.height]);
    const s = Math.min(a4.width / 612, a4.height / 792);
    expect(l.image.width).toBeCloseTo(612 * s, 9);
    expect(l.image.height).toBeCloseTo(792 * s, 9);
    expect(l.image.x).toBeCloseTo((a4.width - 612 * s) / 2, 9);
    expect(l.image.y).toBeCloseTo((a4.height - 792 * s) / 2, 9);
    expect(l.pixelWidth).toBe(Math.round((612 * s * 300) / 72));
    expect(l.pixelHeight).toBe(Math.round((792 * s * 300) / 72));
  });

  it("turns the paper landscape for a landscape page (auto) and obeys forced orientation", () => {
    const a4 = paper("A4");
    const auto = layoutPage(800, 600, { ...base, size: a4 });
    expect(auto.sheetWidth).toBeGreaterThan(auto.sheetHeight);
    const portrait = layoutPage(800, 600, { ...base, size: a4, orientation: "portrait" });
    expect(portrait.sheetWidth).toBeLessThan(portrait.sheetHeight);
    expect(portrait.image.width).toBeCloseTo(a4.width, 9);
    const landscape = layoutPage(600, 800, { ...base, size: a4, orientation: "landscape" });
    expect(landscape.sheetWidth).toBeCloseTo(a4.height, 9);
  });

  it("cover fills the content box and crops; fill stretches; none keeps 100%", () => {
    const a4 = paper("A4");
    const cover = layoutPage(1000, 1000, { ...base, size: a4, fit: "cover" });
    expect(cover.image).toEqual({ x: 0, y: 0, width: a4.width, height: a4.height });
    expect(cover.scaleX).toBeCloseTo(cover.scaleY, 2);
    expect(cover.offsetX).toBeLessThan(0); // the page overflows left and right
    expect(cover.offsetY).toBeCloseTo(0, 6);

    const fill = layoutPage(1000, 500, { ...base, size: a4, fit: "fill", orientation: "portrait" });
    expect(fill.image.width).toBeCloseTo(a4.width, 9);
    expect(fill.image.height).toBeCloseTo(a4.height, 9);
    expect(fill.scaleY / fill.scaleX).toBeCloseTo((a4.height / 500) / (a4.width / 1000), 2);

    const small = layoutPage(100, 200, { ...base, size: a4, fit: "none" });
    expect(small.image.width).toBeCloseTo(100, 9);
    expect(small.image.x).toBeCloseTo((a4.width - 100) / 2, 9);
    const big = layoutPage(2000, 3000, { ...base, size: a4, fit: "none" });
    expect(big.image.width).toBeCloseTo(a4.width, 9);
    expect(Math.abs(big.offsetX + (2000 - a4.width) / 2)).toBeLessThan(1); // within a pixel (72 DPI)
  });

  it("applies margins and rejects margins that leave no room", () => {
    const letter = paper("Letter");
    const l = layoutPage(612, 792, { ...base, size: letter, margins: [72, 72, 72, 72] });
    expect(l.image.width).toBeLessThanOrEqual(612 - 144 + 1e-9);
    expect(l.image.height).toBeLessThanOrEqual(792 - 144 + 1e-9);
    expect(l.image.y).toBeGreaterThanOrEqual(72);
    expect(() => layoutPage(612, 792, { ...base, size: letter, margins: [400, 0, 400, 0] })).toThrow(UsageError);
  });
});

describe("sheetPadding (image output: the raster placed on its whole sheet)", () => {
  it("is zero when the page is the sheet", () => {
    expect(sheetPadding(layoutPage(612, 792, { ...base, dpi: 150 }), 150)).toEqual({ top: 0, right: 0, bottom: 0, left: 0 });
  });

  it("adds the margins and the paper the fitted page does not cover", () => {
    // Letter on A4 at 72 DPI, contained: full width, (841.89 - 770.3) / 2 = 35.8 pt above and below.
    const contain = layoutPage(612, 792, { ...base, size: paper("A4") });
    expect(sheetPadding(contain, 72)).toEqual({ top: 36, right: 0, bottom: 36, left: 0 });
    const margins = layoutPage(612, 792, { ...base, margins: [10, 20, 30, 40] });
    const pad = sheetPadding(margins, 72);
    expect(pad).toEqual({ top: 10, right: 20, bottom: 30, left: 40 });
    expect(pad.left + margins.pixelWidth + pad.right).toBe(612 + 60);
  });

  it("always adds up to the sheet's pixel size", () => {
    for (const dpi of [37, 72, 96, 150, 301]) {
      for (const fit of ["contain", "cover", "fill", "none"] as const) {
        const layout = layoutPage(300.3, 700.7, { ...base, dpi, fit, size: paper("A4"), margins: [7, 11, 13, 17] });
        const pad = sheetPadding(layout, dpi);
        expect(Object.values(pad).every((n) => n >= 0)).toBe(true);
        expect(pad.left + layout.pixelWidth + pad.right).toBe(Math.round((layout.sheetWidth * dpi) / 72));
        expect(pad.top + layout.pixelHeight + pad.bottom).toBe(Math.round((layout.sheetHeight * dpi) / 72));
      }
    }
  });
});
