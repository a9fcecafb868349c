// Builds a long PDF by repeating real corpus pages (text, vector, photo, CMYK JPEG), for the
// engine benchmarks and the worker-memory check. `node bench/long-doc.mjs <pages> <out.pdf>`
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PDFDocument } from "pdf-lib";

export const CORPUS = fileURLToPath(new URL("../../shared/corpus/pdfjs/", import.meta.url));
/** Sources cycled in this order: tracemonkey's 14 text/vector pages, then a few heavier pages. */
const SOURCES = ["tracemonkey.pdf", "cmykjpeg.pdf", "issue840.pdf", "canvas.pdf", "issue5475.pdf", "issue15629.pdf"];

/** Writes a `pages`-page PDF to `out`; pages come from the sources round-robin, resources shared per source. */
export async function makeLongDocument(pages, out) {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const sources = [];
  for (const name of SOURCES) {
    const src = await PDFDocument.load(readFileSync(join(CORPUS, name)), { updateMetadata: false });
    sources.push({ src, count: src.getPageCount() });
  }
  const cycle = sources.flatMap((s, i) => Array.from({ length: s.count }, (_, page) => [i, page]));
  const order = Array.from({ length: pages }, (_, i) => cycle[i % cycle.length]);
  // One copyPages call per source, so each source's fonts and images are copied once and shared.
  const copied = await Promise.all(
    sources.map((s, i) => doc.copyPages(s.src, order.filter(([j]) => j === i).map(([, page]) => page))),
  );
  const next = sources.map(() => 0);
  for (const [i] of order) doc.addPage(copied[i][next[i]++]);
  writeFileSync(out, await doc.save());
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [pages = "2000", out = "long.pdf"] = process.argv.slice(2);
  await makeLongDocument(Number(pages), out);
  console.log(`wrote ${out} (${pages} pages)`);
}
