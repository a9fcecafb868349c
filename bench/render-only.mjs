#!/usr/bin/env node
// The engine's limit: the engine alone (open, render, read the pixels back), no encode, no file, no
// assembly, split over W processes in contiguous blocks of pages. Uses pdfraster's own adapters and layout
// (dist/), so the pixels and the canvas are exactly those of the pipeline.
//
//   node bench/render-only.mjs <in.pdf> [--engine pdfjs|pdfium|mupdf] [--dpi 300] [--size original|A3|...] [--workers W] [--json]
//
// Prints the wall time from the first fork to the last child's exit (so process start-up and
// pdf.js loading count, as they do in the pipeline), and each child's summed render time.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const DIST = new URL("../dist/", import.meta.url);

async function child() {
  const { openEngine } = await import(new URL("engines/registry.js", DIST).href);
  const { layoutPage } = await import(new URL("paper.js", DIST).href);
  const { normalizeOptions } = await import(new URL("options.js", DIST).href);
  const [source, dpi, size, index, count, engineName] = process.argv.slice(3);
  const options = normalizeOptions({ dpi: Number(dpi), size });
  const started = performance.now();
  const engine = await openEngine(engineName, source);
  const openMs = performance.now() - started;
  let renderMs = 0;
  let pages = 0;
  // Contiguous blocks, so that on a document of repeated pages every process meets every distinct page
  // (and its fonts) as pdfraster's workers do; interleaving would halve each process's warm-up.
  const [k, w] = [Number(index), Number(count)];
  const first = Math.floor((k * engine.pageCount) / w) + 1;
  const last = Math.floor(((k + 1) * engine.pageCount) / w);
  for (let n = first; n <= last; n++) {
    const t0 = performance.now();
    const g = await engine.geometry(n);
    const l = layoutPage(g.widthPt, g.heightPt, options);
    const page = await engine.render({
      pageNumber: n,
      width: l.pixelWidth,
      height: l.pixelHeight,
      scaleX: l.scaleX,
      scaleY: l.scaleY,
      offsetX: l.offsetX,
      offsetY: l.offsetY,
      background: [255, 255, 255],
    });
    page.release();
    renderMs += performance.now() - t0;
    pages++;
  }
  await engine.close();
  process.send?.({ pages, openMs, renderMs, maxRssKb: process.resourceUsage().maxRSS });
}

/** Renders every page of `source` over `workers` processes; resolves with wall ms and per-child figures. */
export async function renderOnly(source, { dpi = 300, size = "original", workers = 1, engine = "pdfjs" } = {}) {
  const started = performance.now();
  const self = fileURLToPath(import.meta.url);
  const children = Array.from({ length: workers }, (_, k) => {
    // PDFRASTER_WORKER: the engines set their worker-only flags (WebAssembly tiering) as in the pipeline.
    const proc = fork(self, ["--child", source, String(dpi), size, String(k), String(workers), engine], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, PDFRASTER_WORKER: "1" },
    });
    return new Promise((resolve, reject) => {
      let result;
      proc.on("message", (m) => (result = m));
      proc.on("exit", (code) => (code === 0 && result ? resolve(result) : reject(new Error(`render-only child exited with ${code}`))));
    });
  });
  const results = await Promise.all(children);
  const wallMs = performance.now() - started;
  return {
    wallMs,
    pages: results.reduce((s, r) => s + r.pages, 0),
    renderMs: results.reduce((s, r) => s + r.renderMs, 0),
    openMs: results.reduce((s, r) => s + r.openMs, 0),
    maxWorkerRssMb: Math.max(...results.map((r) => r.maxRssKb)) / 1024,
  };
}

if (process.argv[2] === "--child") {
  await child();
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { dpi: { type: "string", default: "300" }, size: { type: "string", default: "original" }, workers: { type: "string", default: "1" }, engine: { type: "string", default: "pdfjs" }, json: { type: "boolean" } },
  });
  if (positionals.length !== 1) {
    console.error("usage: node bench/render-only.mjs <in.pdf> [--engine pdfjs] [--dpi 300] [--size original] [--workers 1] [--json]");
    process.exit(2);
  }
  const r = await renderOnly(positionals[0], { dpi: Number(values.dpi), size: values.size, workers: Number(values.workers), engine: values.engine });
  if (values.json) console.log(JSON.stringify(r));
  else console.log(`${r.pages} pages in ${(r.wallMs / 1000).toFixed(2)} s wall (${(r.pages / (r.wallMs / 1000)).toFixed(2)} pages/s); render ${Math.round(r.renderMs)} ms summed, open ${Math.round(r.openMs)} ms, worker peak RSS ${Math.round(r.maxWorkerRssMb)} MB`);
}
