// Builds a long PDF by repeating real corpus pages (text, vector, photo, CMYK JPEG), for the
// engine benchmarks and the worker-memory check. `node bench/long-doc.mjs <pages> <out.pdf>`
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PDFDocument } from "pdf-lib";

export const CORPUS = fileURLToPath(new URL("../../shared/corpus/pdfjs/", import.meta.url));
/** Sources in this order: tracemonkey's 14 text/vector pages, then a few heavier pages (21 pages a round). */
const SOURCES = ["tracemonkey.pdf", "cmykjpeg.pdf", "issue840.pdf", "canvas.pdf", "issue5475.pdf", "issue15629.pdf"];

/**
 * Writes a `pages`-page PDF to `out`: the sources' pages in turn, each round copied afresh so that its
 * fonts and images are new objects, as in a real long document (a renderer cannot reuse its caches).
 */
export async function makeLongDocument(pages, out) {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const sources = [];
  for (const name of SOURCES) sources.push(await PDFDocument.load(readFileSync(join(CORPUS, name)), { updateMetadata: false }));
  while (doc.getPageCount() < pages) {
    for (const src of sources) {
      for (const page of await doc.copyPages(src, src.getPageIndices())) if (doc.getPageCount() < pages) doc.addPage(page);
    }
  }
  writeFileSync(out, await doc.save());
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [pages = "2000", out = "long.pdf"] = process.argv.slice(2);
  await makeLongDocument(Number(pages), out);
  console.log(`wrote ${out} (${pages} pages)`);
}
