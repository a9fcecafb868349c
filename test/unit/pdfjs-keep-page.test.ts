// pdf.js keeps a page's operator list between the bands of the page a worker renders (keepPage):
// the next band draws from it instead of interpreting the page again, and the page is cleaned up
// once the engine moves to another page. It relies on pdf.js internals (engines/pdfjs/engine.ts
// holdOperatorList), which this test checks are still there.
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import { PdfJsEngine } from "../../src/engines/pdfjs/engine.js";
import type { RenderRequest } from "../../src/engines/engine.js";

const TRACEMONKEY = fileURLToPath(new URL("../../../shared/corpus/pdfjs/tracemonkey.pdf", import.meta.url));

describe("pdf.js keepPage", () => {
  let engine: PdfJsEngine;
  afterAll(() => engine?.close());

  it("draws the next band of a kept page from its operator list, and cleans the page up for another", async () => {
    engine = await PdfJsEngine.open(TRACEMONKEY);
    const band = (pageNumber: number, top: number): RenderRequest => ({ pageNumber, width: 612, height: 200, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: -top, background: [255, 255, 255] });
    const kept = (): PDFPageProxy | undefined => (engine as unknown as { kept?: { page: PDFPageProxy } }).kept?.page;
    (await engine.render(band(1, 0), { keepPage: true })).release();
    const page = kept();
    expect(page).toBeDefined();
    const proxy = page as unknown as { _pumpOperatorList(...args: unknown[]): void; _intentStates: Map<unknown, unknown> };
    let pumps = 0;
    const pump = proxy._pumpOperatorList.bind(page);
    proxy._pumpOperatorList = (...args) => {
      pumps++;
      pump(...args);
    };
    (await engine.render(band(1, 200), { keepPage: true })).release();
    (await engine.render(band(1, 400), { keepPage: true })).release();
    expect(pumps).toBe(0); // no new operator list: pdf.js did not clean the page after its print render
    expect(proxy._intentStates.size).toBe(1);
    // Another page: the kept one is cleaned up (its operator list, fonts and images go).
    (await engine.render(band(2, 0))).release();
    expect(kept()).toBeUndefined();
    expect(proxy._intentStates.size).toBe(0);
    // Without keepPage, nothing is kept, as before.
    (await engine.render(band(1, 0))).release();
    expect(kept()).toBeUndefined();
    expect(pumps).toBe(1);
  });
});
