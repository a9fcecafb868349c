#!/usr/bin/env node
// Worker memory over a long document, to choose --max-pages-per-worker and the worker heap cap.
// Builds a ~2,000-page PDF from corpus pages in a temp dir (nothing is committed), renders it with
// one worker that is never recycled, and prints the worker's RSS every 100 pages.
// Usage: npm run build && node bench/worker-memory.mjs [pages=2000] [dpi=72] [engine=pdfjs]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { rasterize } from "../dist/index.js";

const target = Number(process.argv[2] ?? 2000);
const dpi = Number(process.argv[3] ?? 72);
const engine = process.argv[4] ?? "pdfjs";
const corpus = new URL("../../shared/corpus/pdfjs/", import.meta.url).pathname;
// Varied real documents: text with embedded fonts, CJK, images, shadings, forms.
const sources = ["tracemonkey.pdf", "issue9458.pdf", "ThuluthFeatures.pdf", "cmykjpeg.pdf", "issue840.pdf", "canvas.pdf", "bug900822.pdf", "issue7426.pdf", "radial_gradients.pdf", "annotation-highlight.pdf"];

const dir = mkdtempSync(join(tmpdir(), "pdfraster-memory-"));
try {
  const long = await PDFDocument.create();
  const docs = [];
  for (const name of sources) {
    try {
      docs.push(await PDFDocument.load(readFileSync(join(corpus, name))));
    } catch {
      console.error(`skipping ${name} (pdf-lib cannot load it)`);
    }
  }
  // Copy each source afresh every round, so fonts and images are new objects (as in a real long document).
  while (long.getPageCount() < target) {
    for (const doc of docs) {
      const pages = await long.copyPages(doc, doc.getPageIndices());
      for (const page of pages) if (long.getPageCount() < target) long.addPage(page);
    }
  }
  const input = join(dir, "long.pdf");
  writeFileSync(input, await long.save());
  console.log(`${long.getPageCount()} pages, ${(readFileSync(input).length / 1e6).toFixed(1)} MB, ${dpi} DPI, ${engine}, 1 worker, never recycled`);

  const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  const samples = [];
  const started = Date.now();
  const report = await rasterize(input, join(dir, "out.pdf"), {
    dpi,
    engine,
    workers: 1,
    maxPagesPerWorker: 1e9,
    pageTimeout: 600,
    onError: "blank",
    onProgress: (e) => {
      if (e.type !== "page-done") return;
      if (e.done === 1 || e.done % 100 === 0) {
        const mb = rss(e.worker);
        samples.push({ pages: e.done, rssMb: Math.round(mb) });
        console.log(`${String(e.done).padStart(5)} pages  worker RSS ${mb.toFixed(0)} MB  ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
    },
  });
  console.log(`rendered ${report.rendered}, failed ${report.failed.length}, retried ${report.retried.length}: ${report.failed.concat([]).map((f) => f.reason).slice(0, 3).join("; ")}`);
  console.log(JSON.stringify(samples));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
