import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { EngineError, type Engine, type PageBox, type RenderRequest } from "../../dist/engines/engine.js";
import { ENGINE_NAMES, openEngine, type EngineName } from "../../dist/engines/registry.js";
import { corpus, ROOT, SAMPLE } from "../helpers/cli.js";

/** The same contract, checked on each engine directly (no pool): geometry, transform, errors, memory hand-off. */
describe.each(ENGINE_NAMES.map((name) => [name]))("the %s engine", (name: EngineName) => {
  async function withEngine<T>(source: string | Uint8Array, use: (engine: Engine) => Promise<T>, password?: string): Promise<T> {
    const engine = await openEngine(name, source, { password });
    try {
      return await use(engine);
    } finally {
      await engine.close();
    }
  }

  async function render(engine: Engine, req: RenderRequest): Promise<(x: number, y: number) => number[]> {
    const page = await engine.render(req);
    expect(page.width).toBe(req.width);
    expect(page.height).toBe(req.height);
    expect([3, 4]).toContain(page.channels);
    const n = page.channels;
    expect(page.rgba.length).toBe(req.width * req.height * n);
    const copy = Buffer.from(page.rgba);
    page.release();
    page.release(); // idempotent
    return (x, y) => [...copy.subarray((y * req.width + x) * n, (y * req.width + x) * n + 3)];
  }

  it("reads the displayed size of each page: CropBox, then /Rotate", async () => {
    await withEngine(SAMPLE, async (engine) => {
      expect(engine.name).toBe(name);
      expect(engine.pageCount).toBe(5);
      const pages = await Promise.all([1, 2, 3, 4, 5].map((n) => engine.geometry(n)));
      const expected = [
        [612, 792, 0],
        [841.89, 595.28, 0],
        [792, 612, 90], // /Rotate 90 of a Letter portrait page
        [300, 400, 0], // the CropBox, not the 612x792 MediaBox
        [595.28, 841.89, 0],
      ];
      pages.forEach((page, i) => {
        expect(page.widthPt).toBeCloseTo(expected[i]![0]!, 2);
        expect(page.heightPt).toBeCloseTo(expected[i]![1]!, 2);
        expect(page.rotate).toBe(expected[i]![2]);
      });
    });
  });

  it("reports each page box where it lies in the displayed (CropBox) space, with the spec's fallbacks and /Rotate", async () => {
    await withEngine(join(ROOT, "fixtures/boxes.pdf"), async (engine) => {
      const box = async (page: number, which: PageBox): Promise<number[]> => {
        const g = await engine.geometry(page, which);
        return [g.boxX, g.boxY, g.widthPt, g.heightPt].map((n) => Math.round(n * 100) / 100);
      };
      // Page 1: CropBox [10 10 390 290]; the others 10 pt further in each, the MediaBox 10 pt further out.
      expect(await box(1, "crop")).toEqual([0, 0, 380, 280]);
      expect(await box(1, "media")).toEqual([-10, -10, 400, 300]);
      expect(await box(1, "trim")).toEqual([20, 20, 340, 240]);
      expect(await box(1, "art")).toEqual([30, 30, 320, 220]);
      expect(await box(2, "bleed")).toEqual([0, 0, 260, 160]); // no BleedBox: the CropBox
      expect(await box(3, "trim")).toEqual([20, 20, 240, 340]); // /Rotate 90
      expect(await box(4, "crop")).toEqual([0, 0, 300, 200]); // no CropBox: the MediaBox
      expect(await box(4, "bleed")).toEqual([0, 0, 300, 200]); // beyond the MediaBox: cut to it
      expect(await box(4, "trim")).toEqual([50, 50, 200, 100]);
    });
  });

  it("draws outside the CropBox when the request shows more (MuPDF clips to it otherwise)", async () => {
    // boxes.pdf page 1: red between the MediaBox and the CropBox. The MediaBox's top-left is at (-10, -10).
    const at = await withEngine(join(ROOT, "fixtures/boxes.pdf"), (engine) =>
      render(engine, { pageNumber: 1, width: 400, height: 300, scaleX: 1, scaleY: 1, offsetX: 10, offsetY: 10, background: [255, 255, 255] }),
    );
    expect(at(3, 150)).toEqual([255, 0, 0]);
    expect(at(15, 150)).toEqual([0, 153, 0]);
  });

  it("places the page with pixel = point * scale + offset, non-uniform scale included", async () => {
    // Page 4 is 300x400 pt: a dark frame 20 pt wide around a light yellow rectangle. At scale (0.5, 0.25)
    // and offset (-5, -2.5) it spans x -5..145 and y -2.5..97.5; the 140x95 raster shows a part of it
    // (a layout never asks for pixels outside the page: engines differ on what they draw there).
    const at = await withEngine(SAMPLE, (engine) =>
      render(engine, { pageNumber: 4, width: 140, height: 95, scaleX: 0.5, scaleY: 0.25, offsetX: -5, offsetY: -2.5, background: [255, 255, 255] }),
    );
    const isDark = (p: number[]): boolean => p.every((c) => c < 80);
    const isLight = (p: number[]): boolean => p[0]! > 240 && p[1]! > 240 && p[2]! > 180;
    expect(isDark(at(2, 50))).toBe(true); // left frame: x -5..5
    expect(isLight(at(8, 50))).toBe(true);
    expect(isDark(at(70, 0))).toBe(true); // top frame: y -2.5..2.5
    expect(isLight(at(70, 5))).toBe(true);
    expect(isLight(at(70, 50))).toBe(true);
    expect(isLight(at(132, 50))).toBe(true);
    expect(isDark(at(138, 50))).toBe(true); // right frame: x 135..145
    expect(isDark(at(70, 94))).toBe(true); // bottom frame: y 92.5..97.5
  });

  it("fills the raster with the background where the page has no paint", async () => {
    const at = await withEngine(SAMPLE, (engine) =>
      render(engine, { pageNumber: 1, width: 153, height: 198, scaleX: 0.25, scaleY: 0.25, offsetX: 0, offsetY: 0, background: [255, 0, 0] }),
    );
    expect(at(150, 195)).toEqual([255, 0, 0]); // the empty bottom-right corner
    const [r, , b] = at(105, 73); // the blue disc, drawn over the background
    expect(r).toBeLessThan(60);
    expect(b).toBeGreaterThan(180);
  });

  it("draws a /Rotate 90 page turned clockwise", async () => {
    // Page 3's orange bar lies along the bottom edge of the unrotated page: displayed, it is on the left.
    const at = await withEngine(SAMPLE, (engine) =>
      render(engine, { pageNumber: 3, width: 198, height: 153, scaleX: 0.25, scaleY: 0.25, offsetX: 0, offsetY: 0, background: [255, 255, 255] }),
    );
    const [r, g, b] = at(5, 76);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeGreaterThan(120);
    expect(g).toBeLessThan(190);
    expect(b).toBeLessThan(60);
    expect(at(190, 76).every((c) => c > 235)).toBe(true);
  });

  it("reports a missing and a wrong password, and opens with the right one (also as bytes)", async () => {
    const file = corpus("issue6010_1.pdf");
    await expect(openEngine(name, file)).rejects.toMatchObject({ name: "EngineError", kind: "password-required" });
    await expect(openEngine(name, file, { password: "nope" })).rejects.toMatchObject({ kind: "password-incorrect" });
    const pages = await withEngine(new Uint8Array(readFileSync(file)), async (engine) => engine.pageCount, "abc");
    expect(pages).toBe(1);
  });

  it("opens an AES-256 file whose password must be SASLprep'ed first (given as its author typed it)", async () => {
    const pages = await withEngine(corpus("saslprep-r6.pdf"), async (engine) => engine.pageCount, "S\u00aaSL\u00adprep");
    expect(pages).toBe(1);
  });

  it("reports a file that is not a PDF as invalid-pdf", async () => {
    const junk = new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    const error = await openEngine(name, junk).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).kind).toBe("invalid-pdf");
  });

  it("keepPage: the bands of a page drawn from the kept page are those drawn afresh, and the page is let go for another", async () => {
    const kept = await openEngine(name, SAMPLE);
    const fresh = await openEngine(name, SAMPLE);
    try {
      const pixels = async (engine: Engine, req: RenderRequest, keepPage?: boolean): Promise<Buffer> => {
        const page = await engine.render(req, keepPage === undefined ? undefined : { keepPage });
        const copy = Buffer.from(page.rgba);
        page.release();
        return copy;
      };
      // Page 1 (text, a circle, an image), page 4 drawn with its MediaBox (beyond its CropBox: MuPDF widens it).
      for (const [pageNumber, box] of [[1, "crop"], [4, "media"], [1, "crop"]] as const) {
        const g = await kept.geometry(pageNumber, box);
        const s = 60 / 72;
        const whole: RenderRequest = { pageNumber, width: Math.round(g.widthPt * s), height: Math.round(g.heightPt * s), scaleX: s, scaleY: s, offsetX: -g.boxX * s, offsetY: -g.boxY * s, background: [255, 255, 255] };
        const rows = Math.ceil(whole.height / 4);
        for (let top = 0; top < whole.height; top += rows) {
          const band = { ...whole, height: Math.min(rows, whole.height - top), offsetY: whole.offsetY - top };
          expect((await pixels(kept, band, true)).equals(await pixels(fresh, band)), `page ${pageNumber} rows ${top}+`).toBe(true);
        }
      }
      // A render without keepPage, of the kept page or another, frees it and is drawn as usual.
      const other: RenderRequest = { pageNumber: 2, width: 120, height: 85, scaleX: 0.14, scaleY: 0.14, offsetX: 0, offsetY: 0, background: [250, 250, 250] };
      expect((await pixels(kept, other)).equals(await pixels(fresh, other))).toBe(true);
      kept.releasePage();
      kept.releasePage(); // idempotent
    } finally {
      await Promise.all([kept.close(), fresh.close()]);
    }
  });
});

describe("pdf.js and MuPDF", () => {
  it("draw the same pixels, give or take anti-aliasing", async () => {
    const req: RenderRequest = { pageNumber: 1, width: 306, height: 396, scaleX: 0.5, scaleY: 0.5, offsetX: 0, offsetY: 0, background: [255, 255, 255] };
    const gray: Float64Array[] = [];
    for (const name of ENGINE_NAMES) {
      const engine = await openEngine(name, SAMPLE);
      const page = await engine.render(req);
      const g = new Float64Array(req.width * req.height);
      const n = page.channels;
      for (let i = 0; i < g.length; i++) g[i] = (page.rgba[i * n]! + page.rgba[i * n + 1]! + page.rgba[i * n + 2]!) / 3;
      gray.push(g);
      page.release();
      await engine.close();
    }
    const [a, b] = gray as [Float64Array, Float64Array];
    let sum = 0;
    let ink = 0;
    for (let i = 0; i < a.length; i++) {
      sum += Math.abs(a[i]! - b[i]!);
      if (a[i]! < 128) ink++;
    }
    expect(ink).toBeGreaterThan(a.length / 20); // the page has real content to compare
    expect(sum / a.length).toBeLessThan(3); // mean difference per pixel, 0-255 (measured ~0.5)
  });
});
