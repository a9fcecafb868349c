// pdfraster with each engine against `pdftoppm | img2pdf` split over the same cores: PDF in, image-only
// PDF out, same DPI and JPEG quality. Wall time, median of --runs, on tracemonkey and a long document.
//   npm run build && node bench/engines.mjs [--dpi 300] [--quality 85] [--workers 2] [--runs 3] [--long-pages 352] [--json out.json]
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { CORPUS, makeLongDocument } from "./long-doc.mjs";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const { values: args } = parseArgs({
  options: {
    dpi: { type: "string", default: "300" },
    quality: { type: "string", default: "85" },
    workers: { type: "string", default: String(availableParallelism()) },
    runs: { type: "string", default: "3" },
    "long-pages": { type: "string", default: "352" },
    json: { type: "string" },
  },
});
const workers = Number(args.workers);

function time(command, argv) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} exited ${code}: ${stderr.slice(-300)}`))));
  });
}

async function pageCount(pdf) {
  const { stdout } = await run("pdfinfo", [pdf]);
  return Number(/Pages:\s+(\d+)/.exec(stdout)[1]);
}

/** pdftoppm on `workers` page ranges in parallel, then img2pdf over all the JPEGs in page order. */
async function pdftoppmImg2pdf(input, out, dir) {
  const pages = await pageCount(input);
  const started = performance.now();
  const per = Math.ceil(pages / workers);
  await Promise.all(
    Array.from({ length: workers }, (_, i) => {
      const first = i * per + 1;
      const last = Math.min(pages, (i + 1) * per);
      if (first > last) return undefined;
      return time("pdftoppm", ["-r", args.dpi, "-jpeg", "-jpegopt", `quality=${args.quality}`, "-f", String(first), "-l", String(last), input, join(dir, "p")]);
    }),
  );
  const jpegs = (await readdir(dir)).filter((f) => f.endsWith(".jpg")).sort();
  await time("img2pdf", ["-o", out, ...jpegs.map((f) => join(dir, f))]);
  return performance.now() - started;
}

const pdfraster = (engine) => (input, out) =>
  time(process.execPath, [CLI, input, out, "--engine", engine, "--dpi", args.dpi, "--format", "jpeg", "--quality", args.quality, "--workers", String(workers), "--quiet"]);

/** Whether the optional mupdf package is installed (without it, the permissive engines only). */
const hasMupdf = (() => {
  try {
    import.meta.resolve("mupdf");
    return true;
  } catch {
    return false;
  }
})();

const contenders = [
  ["pdftoppm | img2pdf", pdftoppmImg2pdf],
  ["pdfraster --engine pdfjs", pdfraster("pdfjs")],
  ["pdfraster --engine pdfium", pdfraster("pdfium")],
  ...(hasMupdf ? [["pdfraster --engine mupdf", pdfraster("mupdf")]] : []),
];

const scratch = await mkdtemp(join(tmpdir(), "pdfraster-bench-engines-"));
try {
  const long = await makeLongDocument(Number(args["long-pages"]), join(scratch, "long.pdf"));
  const documents = [
    ["tracemonkey.pdf", join(CORPUS, "tracemonkey.pdf")],
    [`long (${args["long-pages"]} corpus pages)`, long],
  ];
  const results = [];
  for (const [docName, input] of documents) {
    const pages = await pageCount(input);
    // Runs are interleaved (each contender once, then again) so that load from other processes spreads evenly.
    const times = contenders.map(() => []);
    const bytes = contenders.map(() => 0);
    for (let r = 0; r < Number(args.runs); r++) {
      for (const [i, [name, fn]] of contenders.entries()) {
        const dir = await mkdtemp(join(scratch, "run-"));
        const out = join(dir, "out.pdf");
        const ms = await fn(input, out, dir);
        times[i].push(ms);
        bytes[i] = (await stat(out)).size;
        await rm(dir, { recursive: true, force: true });
        process.stderr.write(`${docName}: ${name}: ${(ms / 1000).toFixed(2)} s\n`);
      }
    }
    for (const [i, [name]] of contenders.entries()) {
      const sorted = [...times[i]].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      results.push({ document: docName, pages, contender: name, seconds: median / 1000, runs: times[i].map((t) => t / 1000), bytes: bytes[i] });
    }
  }
  const load = (await import("node:os")).loadavg()[0].toFixed(1);
  console.log(`\n${cpus()[0]?.model ?? "cpu"} x ${availableParallelism()}, ${workers} workers/processes, ${args.dpi} DPI, JPEG q${args.quality}, median of ${args.runs} interleaved runs, load average ${load} at the end`);
  console.log("| document | contender | seconds | pages/s | vs pdftoppm \\| img2pdf | output MB |");
  console.log("|---|---|---|---|---|---|");
  for (const r of results) {
    const base = results.find((x) => x.document === r.document && x.contender === "pdftoppm | img2pdf");
    const ratio = base ? (base.seconds / r.seconds).toFixed(2) + "x" : "-";
    console.log(`| ${r.document} | ${r.contender.replace("|", "\\|")} | ${r.seconds.toFixed(2)} | ${(r.pages / r.seconds).toFixed(1)} | ${ratio} | ${(r.bytes / 1e6).toFixed(1)} |`);
  }
  if (args.json) await writeFile(args.json, JSON.stringify({ dpi: Number(args.dpi), quality: Number(args.quality), workers, results }, null, 1));
} finally {
  await rm(scratch, { recursive: true, force: true });
}
