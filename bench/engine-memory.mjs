// Does a worker's memory stay flat over a long document? Renders a generated N-page PDF with one
// engine, with worker recycling off, and samples each worker's RSS (from /proc) as pages complete.
//   npm run build && node bench/engine-memory.mjs [--engine mupdf] [--pages 2000] [--dpi 150] [--workers 2] [--max-pages-per-worker N]
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { rasterize } from "../dist/index.js";
import { makeLongDocument } from "./long-doc.mjs";

const { values: args } = parseArgs({
  options: {
    engine: { type: "string", default: "mupdf" },
    pages: { type: "string", default: "2000" },
    dpi: { type: "string", default: "150" },
    workers: { type: "string", default: "2" },
    "max-pages-per-worker": { type: "string", default: "1000000" },
  },
});
const pages = Number(args.pages);
const dir = await mkdtemp(join(tmpdir(), "pdfraster-memory-"));
try {
  const input = await makeLongDocument(pages, join(dir, "long.pdf"));
  const rssMb = (pid) => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    } catch {
      return 0; // the worker has exited
    }
  };
  /** Per worker pid: [pages it has done, RSS MB] after each of its pages. */
  const samples = new Map();
  const started = performance.now();
  const report = await rasterize(input, join(dir, "out.pdf"), {
    engine: args.engine,
    dpi: Number(args.dpi),
    workers: Number(args.workers),
    maxPagesPerWorker: Number(args["max-pages-per-worker"]),
    onError: "blank",
    onProgress: (event) => {
      if (event.type !== "page-done") return;
      const list = samples.get(event.worker) ?? [];
      list.push([list.length + 1, rssMb(event.worker)]);
      samples.set(event.worker, list);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`${args.engine}, ${pages} pages at ${args.dpi} DPI, ${args.workers} workers, max ${args["max-pages-per-worker"]} pages per worker: ${seconds.toFixed(1)} s, ${report.rendered} rendered, ${report.failed.length} failed`);
  const marks = [10, 50, 100, 200, 400, 600, 800, 1000, 1500, 2000, 3000];
  console.log(`worker RSS (MB) after its n-th page: ${["pid", ...marks.map((m) => `n=${m}`), "max", "last"].join("\t")}`);
  for (const [pid, list] of samples) {
    const at = (n) => (list[n - 1] ? list[n - 1][1].toFixed(0) : "-");
    const max = Math.max(...list.map(([, rss]) => rss));
    console.log(`  ${[pid, ...marks.map(at), max.toFixed(0), list.at(-1)[1].toFixed(0)].join("\t")}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
