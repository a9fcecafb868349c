// The pdf.js adapter cleans the document's caches when its heap grows (docs/performance.md): pages
// rendered after a cleanup must come out exactly as without it, also with text extraction running
// alongside the render, as a worker does for the keep options.
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PdfJsEngine } from "../../src/engines/pdfjs/engine.js";
import { wholePage } from "../helpers/render.js";

const TRACEMONKEY = fileURLToPath(new URL("../../../shared/corpus/pdfjs/tracemonkey.pdf", import.meta.url));
const engines: PdfJsEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
});

async function open(cleanupHeapGrowth?: number): Promise<PdfJsEngine> {
  const engine = await PdfJsEngine.open(TRACEMONKEY, cleanupHeapGrowth === undefined ? {} : { cleanupHeapGrowth });
  engines.push(engine);
  return engine;
}

describe("pdf.js cache cleanup", () => {
  it("renders and extracts the same after cleaning the caches at every operation", async () => {
    const plain = await open();
    const cleaning = await open(0);
    let cleanups = 0;
    const doc = (cleaning as unknown as { doc: { cleanup(): Promise<void> } }).doc;
    const original = doc.cleanup.bind(doc);
    doc.cleanup = () => {
      cleanups++;
      return original();
    };

    // Pages 1-3 twice: the second pass meets fonts that the cleanup threw away and must load again.
    for (const pageNumber of [1, 2, 3, 1, 2, 3]) {
      const expected = await plain.render(await wholePage(plain, pageNumber, 60));
      const extracted = cleaning.extract(pageNumber, { text: true, links: true });
      const rendered = await cleaning.render(await wholePage(cleaning, pageNumber, 60));
      try {
        expect(rendered.rgba.equals(expected.rgba), `page ${pageNumber}: same pixels`).toBe(true);
        expect(await extracted).toEqual(await plain.extract(pageNumber, { text: true, links: true }));
      } finally {
        rendered.release();
        expected.release();
      }
    }
    expect(cleanups).toBeGreaterThanOrEqual(6);
  });
});
