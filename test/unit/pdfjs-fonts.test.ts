// Embedded fonts reach Skia as registered fonts (src/engines/pdfjs/fonts.ts): each is registered while
// a document uses it and removed when the last one closes, also when two documents embed the same
// font (Skia shares identical font data between the names).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PdfJsEngine } from "../../src/engines/pdfjs/engine.js";
import { registeredFontCount } from "../../src/engines/pdfjs/fonts.js";
import { wholePage } from "../helpers/render.js";

const corpus = (name: string): string => fileURLToPath(new URL(`../../../shared/corpus/pdfjs/${name}`, import.meta.url));

async function pixels(engine: PdfJsEngine, pageNumber: number): Promise<Buffer> {
  const page = await engine.render(await wholePage(engine, pageNumber, 50));
  try {
    return Buffer.from(page.rgba);
  } finally {
    page.release();
  }
}

describe("pdf.js embedded fonts through Skia", () => {
  it("registers a document's fonts while it is open, shares them between documents, and removes them on close", async () => {
    expect(registeredFontCount()).toBe(0);
    const first = await PdfJsEngine.open(corpus("tracemonkey.pdf"));
    const expected = await pixels(first, 1);
    const fonts = registeredFontCount();
    expect(fonts).toBeGreaterThan(3); // tracemonkey p1 embeds a dozen Type1 fonts
    const second = await PdfJsEngine.open(corpus("tracemonkey.pdf"));
    expect((await pixels(second, 1)).equals(expected)).toBe(true);
    expect(registeredFontCount()).toBe(fonts); // the same bytes: no second copy
    await first.close();
    // The fonts the first document shared with the second are still there for it.
    expect((await pixels(second, 1)).equals(expected)).toBe(true);
    await second.close();
    expect(registeredFontCount()).toBe(0);
  });

  it("draws what it cannot give Skia as paths: Type3 glyphs still come out", async () => {
    const engine = await PdfJsEngine.open(corpus("simpletype3font.pdf"));
    try {
      const page = await pixels(engine, 1);
      let ink = 0;
      for (let i = 0; i < page.length; i += 4) if (page[i]! < 128) ink++;
      expect(ink).toBeGreaterThan(50);
      expect(registeredFontCount()).toBe(0); // a Type3 font has no font file to register
    } finally {
      await engine.close();
    }
  });
});
