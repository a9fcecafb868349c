// The PDFium adapter's own parts: in WebAssembly PDFium has no system fonts, so fonts.ts maps
// non-embedded CJK (and Greek/Cyrillic) text to the bundled Noto Sans SC and leaves Latin faces to
// PDFium's built-in fonts; and the engine reopens its document now and then to drop PDFium's caches.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PdfiumEngine } from "../../src/engines/pdfium/engine.js";
import { wantsNoto } from "../../src/engines/pdfium/fonts.js";
import { wholePage } from "../helpers/render.js";

const corpus = (name: string): string => fileURLToPath(new URL(`../../../shared/corpus/pdfjs/${name}`, import.meta.url));

describe("PDFium system fonts", () => {
  it("maps CJK, Greek and Cyrillic charsets and CJK face names to Noto, Latin faces to the built-ins", () => {
    for (const charset of [128, 129, 134, 136, 161, 204]) expect(wantsNoto(charset, "Whatever"), String(charset)).toBe(true);
    for (const face of ["MS-Mincho", "MS-PGothic", "SimSun", "STSong-Light", "HeiseiKakuGo-W5", "Batang", "KozMinPro-Regular"]) {
      expect(wantsNoto(1, face), face).toBe(true);
    }
    for (const face of ["Helvetica", "Times-Roman", "Courier-Bold", "Arial", "Century Gothic", "Symbol", "ZapfDingbats"]) {
      expect(wantsNoto(0, face), face).toBe(false);
    }
  });

  it("draws non-embedded Japanese text (noembed-eucjp.pdf) instead of nothing", async () => {
    const engine = await PdfiumEngine.open(corpus("noembed-eucjp.pdf"));
    try {
      const page = await engine.render(await wholePage(engine, 1, 100));
      let ink = 0;
      for (let i = 0; i < page.rgba.length; i += 3) if (page.rgba[i]! < 128) ink++;
      page.release();
      expect(ink).toBeGreaterThan(500); // five kana at 100 DPI; blank without the font info
    } finally {
      await engine.close();
    }
  });

  it("reopens the document every 100 pages (PDFium's caches) and draws the same pixels after it", async () => {
    const engine = await PdfiumEngine.open(corpus("tracemonkey.pdf"));
    try {
      const draw = async (pageNumber: number): Promise<Buffer> => {
        const page = await engine.render(await wholePage(engine, pageNumber, 10));
        const copy = Buffer.from(page.rgba);
        page.release();
        return copy;
      };
      const first = await draw(1);
      const doc = (engine as unknown as { doc: number }).doc;
      for (let i = 0; i < 120; i++) await draw((i % 14) + 1);
      expect((engine as unknown as { doc: number }).doc).not.toBe(doc);
      expect((await draw(1)).equals(first)).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
