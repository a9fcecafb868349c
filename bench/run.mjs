#!/usr/bin/env node
// pdfraster benchmark: pdfraster with 1..N workers against its peers and against pdf.js alone, on
// the same machine in one run. `npm run bench` builds first; see docs/performance.md.
//
//   npm run bench                    full run (several minutes)
//   npm run bench -- --quick         tracemonkey at 300 dpi and tiny pages only (about a minute)
//   npm run bench -- --jobs letter,a3 --repeat 3 --workers 1,2,3
//   npm run bench -- --engines pdfjs,mupdf  pdfraster with each engine (default: pdfjs and pdfium, and
//                                            mupdf when its optional package is installed, as in this repo)
//
// Writes a table to stdout and the figures to bench/results/<date>.json (and bench/results/latest.json
// for a full run, the one README quotes). Generated documents live in a temp dir and are removed.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measure, settle } from "./measure.mjs";
import { installMissing, peerCommands, peerVersions } from "./peers.mjs";
import { serveBench } from "./serve.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const RENDER_ONLY = join(ROOT, "bench/render-only.mjs");
const CORPUS = join(ROOT, "../shared/corpus/pdfjs");
const { layoutPage } = await import(new URL("../dist/paper.js", import.meta.url).href);
const { normalizeOptions } = await import(new URL("../dist/options.js", import.meta.url).href);

// The cluster benchmark has a file and options of its own.
if (process.argv.includes("--cluster")) await import("./cluster.mjs").then(() => process.exit(0));
// Output size against input size per kind of document: bench/sizes.mjs, options of its own.
if (process.argv.includes("--sizes")) await import("./sizes.mjs").then(() => process.exit(0));

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean" },
    jobs: { type: "string" },
    workers: { type: "string" },
    engines: { type: "string" },
    repeat: { type: "string", default: "1" },
    "no-peers": { type: "boolean" },
    "no-settle": { type: "boolean" },
    retries: { type: "string", default: "2" },
    docs: { type: "string", default: "100" }, // the serve job's small documents
    out: { type: "string" },
    help: { type: "boolean" },
  },
});
const cores = availableParallelism();
const log = (s) => process.stderr.write(`bench: ${s}\n`);

/**
 * The jobs. `make` builds the input (repeating corpus pages with qpdf); `workers` "all" = 1..N,
 * "max" = N only; `peers`: which peers run ("all", "fast": no ImageMagick, none).
 */
const JOBS = {
  letter: { title: "tracemonkey.pdf, 14 text+vector pages, Letter, 300 dpi", source: "tracemonkey.pdf", dpi: 300, size: "original", workers: "all", peers: "all", renderOnly: "all" },
  a3: { title: "tracemonkey.pdf onto A3 (contain), 300 dpi", source: "tracemonkey.pdf", dpi: 300, size: "A3", workers: "all", peers: "fast", renderOnly: "all" },
  scan: { title: "bug1815476.pdf x10: 600 dpi scan in strips (JPEG + CCITT), A4, 300 dpi", source: "bug1815476.pdf", repeat: 10, dpi: 300, size: "original", workers: "all", peers: "all", renderOnly: "all" },
  long: { title: "tracemonkey.pdf x36 = 504 pages, Letter, 300 dpi", source: "tracemonkey.pdf", repeat: 36, dpi: 300, size: "original", workers: "all", peers: "fast", renderOnly: "all" },
  tiny: { title: "tracemonkey.pdf x10 = 140 tiny pages, 36 dpi (dispatch and IPC cost)", source: "tracemonkey.pdf", repeat: 10, dpi: 36, size: "original", workers: "all", peers: "ppm", renderOnly: "all" },
  serve: {}, // bench/serve.mjs: a warm service against the CLI and poppler, and many small documents
  memory: { title: "tracemonkey.pdf x143 = 2002 pages, Letter, 150 dpi (memory and temp space)", source: "tracemonkey.pdf", repeat: 143, dpi: 150, size: "original", workers: "max", peers: "none", renderOnly: "none" },
  bands: { title: "one A0 page at 600 dpi in bands (bench/bands.mjs)", module: "./bands.mjs" },
};
const QUICK = ["letter", "tiny"];

if (args.help) {
  console.log(`usage: npm run bench -- [--quick] [--jobs ${Object.keys(JOBS).join(",")}] [--workers 1,2] [--repeat n] [--retries n] [--no-settle] [--no-peers] [--out file.json]`);
  process.exit(0);
}
const jobNames = args.jobs ? args.jobs.split(",") : args.quick ? QUICK : Object.keys(JOBS);
for (const name of jobNames) if (!JOBS[name]) throw new Error(`unknown job ${name}; jobs: ${Object.keys(JOBS).join(", ")}`);
const workerCounts = args.workers ? args.workers.split(",").map(Number) : Array.from({ length: cores }, (_, i) => i + 1);
const repeat = Math.max(1, Number(args.repeat));
const retries = Math.max(0, Number(args.retries));
const QUALITY = 85;
/** The table's name for an engine alone (render-only.mjs): its limit in the pipeline. */
const renderOnlyName = (engine) => `${engine === "pdfjs" ? "pdf.js" : engine} render only`;
/** pdfraster's engines to run: the bundled ones (pdf.js, the default, and PDFium) always, MuPDF when its optional package resolves. */
const engines = args.engines ? args.engines.split(",") : ["pdfjs", "pdfium", ...(resolves("mupdf") ? ["mupdf"] : [])];
/** The table's name for pdfraster with an engine; the default engine keeps the plain name. */
const toolName = (engine) => (engine === "pdfjs" ? "pdfraster" : `pdfraster --engine ${engine}`);

function resolves(specifier) {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

installMissing(log);
const work = mkdtempSync(join(tmpdir(), "pdfraster-bench-"));
const started = new Date();
const load = { before: loadavg().map((l) => Math.round(l * 100) / 100) };

/** The input of a job: the corpus file, or that file's pages repeated (qpdf; never committed). */
function makeInput(job, name) {
  const source = join(CORPUS, job.source);
  if (!existsSync(source)) throw new Error(`${source} is missing: the corpus should be at ../shared/corpus/pdfjs`);
  if (!job.repeat) return source;
  const path = join(work, `${name}.pdf`);
  if (spawnSync("sh", ["-c", "command -v qpdf"], { stdio: "ignore" }).status !== 0) throw new Error("qpdf is needed to build the repeated documents");
  const r = spawnSync("qpdf", ["--empty", "--pages", ...Array(job.repeat).fill(source), "--", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`qpdf failed: ${r.stderr}`);
  return path;
}

function pageCount(pdf) {
  const r = spawnSync("qpdf", ["--show-npages", pdf], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

/**
 * Runs one measurement `repeat` times and keeps the fastest (every wall time is kept too). Each run
 * first waits (up to 10 s) for the machine to be quiet; a short run that other processes disturbed
 * (over 0.25 cores) is run again, up to `retries` times.
 */
async function best(fn) {
  let fastest;
  const walls = [];
  let retriesLeft = retries;
  for (let i = 0; i < repeat; i++) {
    if (!args["no-settle"]) await settle({ maxMs: 10_000 });
    const r = await fn();
    walls.push(Math.round(r.wallMs));
    if (!fastest || r.wallMs < fastest.wallMs) fastest = r;
    // Long runs are not repeated: the figures would take too long; their disturbance is in the table.
    if (r.otherLoad > 0.25 && r.wallMs < 30_000 && retriesLeft > 0 && i === repeat - 1) {
      retriesLeft--;
      i--;
    }
  }
  return { ...fastest, walls };
}

function round(n, digits = 0) {
  return n === undefined ? undefined : Math.round(n * 10 ** digits) / 10 ** digits;
}

function summary(r) {
  return {
    wallMs: Math.round(r.wallMs),
    walls: r.walls,
    cpuMs: round(r.cpuMs),
    masterPeakMb: round(r.masterPeakMb),
    workerPeakMb: round(r.workerPeakMb),
    largestPeakMb: round(r.largestPeakMb),
    masterCpuMs: round(r.masterCpuMs),
    workersCpuMs: round(r.workersCpuMs),
    otherLoad: round(r.otherLoad, 2),
  };
}

async function runJob(name, job) {
  const input = makeInput(job, name);
  const pages = pageCount(input) ?? 0;
  // pdfraster's own layout for the first page, so that the peers render the same pixel size.
  const { widthPt, heightPt } = JSON.parse(
    spawnSync(process.execPath, ["-e", `import("${new URL("../dist/engines/pdfjs/engine.js", import.meta.url).href}").then(async ({ PdfJsEngine }) => { const e = await PdfJsEngine.open(process.argv[1]); console.log(JSON.stringify(await e.geometry(1))); await e.close(); })`, input], { encoding: "utf8" }).stdout,
  );
  const layout = layoutPage(widthPt, heightPt, normalizeOptions({ dpi: job.dpi, size: job.size }));
  const pixelScale = layout.pixelWidth / ((widthPt * job.dpi) / 72);
  log(`${name}: ${job.title} (${pages} pages, ${layout.pixelWidth}x${layout.pixelHeight} px)`);
  const results = [];
  const counts = job.workers === "max" ? [Math.max(...workerCounts)] : workerCounts;

  for (const engine of engines) {
    for (const workers of counts) {
      const out = join(work, `${name}-pdfraster-${engine}-${workers}.pdf`);
      const r = await best(() =>
        measure(process.execPath, [CLI, input, out, "--engine", engine, "--dpi", String(job.dpi), "--size", job.size, "--workers", String(workers), "--format", "jpeg", "--quality", String(QUALITY), "--json", "--quiet"], { tmpDir: work }),
      );
      if (r.code !== 0) throw new Error(`pdfraster --engine ${engine} failed (${r.code}): ${r.stderr}`);
      const report = JSON.parse(r.stdout);
      results.push({ tool: toolName(engine), engine, workers, ...summary(r), outputBytes: report.outputBytes, outputPages: report.outputPages, tempPeakBytes: r.tempPeakBytes, timings: report.timings });
      rmSync(out, { force: true });
      log(`  ${toolName(engine)} -w ${workers}: ${(r.wallMs / 1000).toFixed(2)} s`);
    }
  }

  const roCounts = job.renderOnly === "none" ? [] : job.renderOnly === "max" ? [Math.max(...workerCounts)] : workerCounts;
  for (const engine of engines) {
    for (const workers of roCounts) {
      const r = await best(() =>
        measure(process.execPath, [RENDER_ONLY, input, "--engine", engine, "--dpi", String(job.dpi), "--size", job.size, "--workers", String(workers), "--json"], { tmpDir: work }),
      );
      if (r.code !== 0) throw new Error(`render-only --engine ${engine} failed: ${r.stderr}`);
      results.push({ tool: renderOnlyName(engine), renderOnly: engine, workers, ...summary(r) });
      log(`  ${renderOnlyName(engine)} -w ${workers}: ${(r.wallMs / 1000).toFixed(2)} s`);
    }
  }

  if (!args["no-peers"] && job.peers !== "none") {
    const paper = job.size === "original" ? undefined : job.size;
    for (const peer of peerCommands({ input, pages, dpi: job.dpi, quality: QUALITY, paper, pixelScale, cores, work })) {
      if (job.peers === "fast" && peer.name.startsWith("convert")) peer.skipped ??= "too slow for this job (about 0.7 s and 50 MB per page)";
      if (job.peers === "ppm" && !peer.name.startsWith("pdftoppm")) continue;
      if (peer.skipped) {
        log(`  ${peer.name}: skipped: ${peer.skipped}`);
        results.push({ tool: peer.name, skipped: peer.skipped });
        continue;
      }
      const r = await best(() => measure("sh", ["-c", peer.command], { tmpDir: work }));
      const outFile = peer.output;
      const outputBytes = outFile && existsSync(outFile) ? statSync(outFile).size : undefined;
      const outputPages = outFile && existsSync(outFile) ? pageCount(outFile) : undefined;
      if (r.code !== 0 || outputPages !== pages) {
        const why = r.code !== 0 ? `exit ${r.code}: ${r.stderr.trim().split("\n").at(-1)}` : `wrote ${outputPages} of ${pages} pages`;
        log(`  ${peer.name}: failed (${why})`);
        results.push({ tool: peer.name, skipped: `failed: ${why}` });
      } else {
        results.push({ tool: peer.name, workers: peer.processes, ...summary(r), outputBytes, outputPages });
        log(`  ${peer.name}: ${(r.wallMs / 1000).toFixed(2)} s`);
      }
      if (outFile) rmSync(outFile, { force: true });
    }
  }
  return { name, title: job.title, input: job.repeat ? `${job.source} x${job.repeat} (qpdf)` : job.source, pages, dpi: job.dpi, size: job.size, pixels: [layout.pixelWidth, layout.pixelHeight], results: derive(results, pages) };
}

/**
 * Adds pages/s; for pdfraster (per engine), speed-up and efficiency against 1 worker, and the
 * overhead against the engine's own limit (its render-only time in one process, divided by W); for
 * render-only rows, their speed-up; for peers, the time ratio to pdfraster with the most workers
 * (default engine, and each other engine).
 */
function derive(results, pages) {
  const ran = results.filter((r) => r.wallMs);
  const ours = ran.filter((r) => r.tool === "pdfraster");
  const top = ours.at(-1);
  const topOf = Object.fromEntries(engines.filter((e) => e !== "pdfjs").map((e) => [e, ran.filter((r) => r.engine === e).at(-1)]).filter(([, r]) => r));
  const limitOf = (engine, workers) => ran.find((r) => r.renderOnly === engine && r.workers === workers);
  for (const r of ran) {
    r.pagesPerSecond = round(pages / (r.wallMs / 1000), 2);
    if (r.engine) {
      const one = ran.find((x) => x.tool === r.tool && x.workers === 1);
      if (one) {
        r.speedup = round(one.wallMs / r.wallMs, 2);
        r.efficiency = round(one.wallMs / r.wallMs / r.workers, 2);
      }
      const engineOne = limitOf(r.engine, 1);
      if (engineOne) r.overEngineLimit = round(r.wallMs / (engineOne.wallMs / r.workers) - 1, 3);
      const engineSame = limitOf(r.engine, r.workers);
      if (engineSame) r.overRenderOnlySameWorkers = round(r.wallMs / engineSame.wallMs - 1, 3);
    } else if (r.renderOnly) {
      const engineOne = limitOf(r.renderOnly, 1);
      if (engineOne) r.speedup = round(engineOne.wallMs / r.wallMs, 2);
    } else if (top) {
      // > 1: the peer takes longer than pdfraster with the most workers.
      r.peerTimeOverPdfraster = round(r.wallMs / top.wallMs, 2);
      r.peerTimeOver = Object.fromEntries(Object.entries(topOf).map(([e, t]) => [e, round(r.wallMs / t.wallMs, 2)]));
      if (topOf.mupdf) r.peerTimeOverMupdf = r.peerTimeOver.mupdf; // the key earlier results used
      if (r.outputBytes && top.outputBytes) r.sizeOverPdfraster = round(r.outputBytes / top.outputBytes, 3);
    }
  }
  return results;
}

function table(job) {
  const others = [...new Set(job.results.flatMap((r) => Object.keys(r.peerTimeOver ?? {})))];
  const head = ["tool", "procs", "wall s", "pages/s", "cpu s", "peer time / ours", ...others.map((e) => `peer time / ${e}`), "speed-up", "eff.", "vs engine/W", "master MB", "worker MB", "out MB", "other load"];
  const pct = (x) => (x === undefined ? "" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(0)}%`);
  const rows = job.results.map((r) => {
    if (r.skipped) return [r.tool, "", "skipped", r.skipped, ...Array(head.length - 4).fill("")];
    const ours = r.engine !== undefined || r.renderOnly !== undefined;
    return [
      r.tool,
      String(r.workers ?? ""),
      (r.wallMs / 1000).toFixed(2),
      r.pagesPerSecond?.toFixed(2) ?? "",
      r.cpuMs === undefined ? "" : (r.cpuMs / 1000).toFixed(1),
      r.peerTimeOverPdfraster?.toFixed(2) ?? "",
      ...others.map((e) => r.peerTimeOver?.[e]?.toFixed(2) ?? ""),
      r.speedup?.toFixed(2) ?? "",
      r.efficiency?.toFixed(2) ?? "",
      r.overEngineLimit !== undefined ? pct(r.overEngineLimit) : r.overRenderOnlySameWorkers !== undefined ? `${pct(r.overRenderOnlySameWorkers)}†` : "",
      ours ? String(Math.round(r.masterPeakMb)) : "",
      String(Math.round(ours ? r.workerPeakMb : r.largestPeakMb)),
      r.outputBytes ? (r.outputBytes / 1e6).toFixed(1) : "",
      r.otherLoad === undefined ? "" : r.otherLoad.toFixed(2),
    ];
  });
  const lines = [`**${job.name}**: ${job.title}; ${job.pixels.join("x")} px per page`, "", `| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "--:")).join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  if (job.results.some((r) => r.overEngineLimit === undefined && r.overRenderOnlySameWorkers !== undefined)) {
    lines.push("", "† against the engine's render-only run with the same number of processes (render-only in one process was not run for this job)");
  }
  return lines.join("\n");
}

function machine() {
  const os = existsSync("/etc/os-release") ? /PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] : undefined;
  return { cpu: cpus()[0]?.model, cores, memGb: round(totalmem() / 2 ** 30, 1), node: process.version, os: os ?? process.platform, kernel: release() };
}

const jobs = [];
let serve; // the service (bench/serve.mjs), in a full run or with --jobs serve
try {
  for (const name of jobNames.filter((n) => n !== "serve")) {
    const { module } = JOBS[name]; // a job of its own file (bands.mjs): it measures, run.mjs derives and prints
    const job = module ? await (await import(module)).bandsJob({ work, engines, workerCounts, best, summary, log }) : await runJob(name, JOBS[name]);
    if (module) job.results = derive(job.results, job.pages);
    jobs.push(job);
  }
  if (jobNames.includes("serve")) serve = await serveBench({ log, work, repeat, cores, engines, quiet: args["no-settle"], docs: Number(args.docs) });
} finally {
  rmSync(work, { recursive: true, force: true });
}
load.after = loadavg().map((l) => Math.round(l * 100) / 100);

const result = {
  date: started.toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  machine: machine(),
  loadAverage: load,
  versions: peerVersions(),
  quality: QUALITY,
  repeat,
  notes: [
    "wall: best of `repeat` runs; cpu: user+sys of the whole process tree (GNU time)",
    "peer/ours: the peer's wall time over pdfraster's with the most workers (> 1: pdfraster is faster); peer/<engine>: the same against pdfraster --engine <engine>",
    "vs engine/W: pdfraster's wall time over (the same engine's render-only run in one process / W), minus 1: the pipeline's overhead against the engine's limit",
    "other load: cores kept busy by other processes on the machine during the measurement (from /proc/stat); above ~0.1 the row is disturbed",
    "master MB / worker MB: peak RSS (VmHWM) of pdfraster's master and of its largest worker; for peers, of the largest process",
  ],
  jobs,
  serve: serve?.results,
};
const m = result.machine;
console.log(`pdfraster benchmark, ${result.date}: ${m.cpu}, ${m.cores} cores, ${m.memGb} GB, Node ${m.node}, ${m.os}; load average ${load.before.join(" ")} before, ${load.after.join(" ")} after`);
console.log(`${result.command}; JPEG quality ${QUALITY}; wall = best of ${repeat}\n`);
// A job of its own file may add a breakdown below its table (bands.mjs: bands per worker, per-band times, the 2-vs-1 ratio).
for (const job of jobs) console.log(`${table(job)}\n${job.breakdown ? `\n${job.breakdown}\n` : ""}`);
if (serve) console.log(`${serve.table}\n`);

const dir = join(ROOT, "bench/results");
mkdirSync(dir, { recursive: true });
const file = args.out ?? join(dir, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
if (!args.out && !args.jobs && !args.quick && !args.workers) copyFileSync(file, join(dir, "latest.json"));
log(`figures written to ${file}`);
