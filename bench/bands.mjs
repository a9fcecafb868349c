#!/usr/bin/env node
// One huge page: tracemonkey.pdf page 1 drawn onto an A0 page (a vector page made with pdf-lib),
// rasterized at 600 DPI (19866x28087 = 558 M pixels, over the old canvas limit): pdfraster with 1..N
// workers (the page's bands spread over them) and each engine, against `pdftoppm -r 600 -jpeg` +
// img2pdf (the same JPEG q85 into a PDF). Part of `npm run bench` (the `bands` job); alone, after
// `npm run build`:
//
//   node bench/bands.mjs [--workers 1,2] [--engines pdfjs,mupdf] [--band-pixels 16777216,33554432,67108864]
//
// `--band-pixels` measures pdfraster with each budget instead (how the default was chosen).
//
// Besides the table it prints the breakdown of each PDF run (from the JSON report and the `page-done`
// event's `bands`): bands per worker, each band's worker time (render, encode, write), the master's
// plan and assembly, and per engine the 1-to-N-worker ratio with both absolute times.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PDFDocument, PageSizes } from "pdf-lib";
import { measure, settle } from "./measure.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const SOURCE = join(ROOT, "../shared/corpus/pdfjs/tracemonkey.pdf");
const DPI = 600;
const QUALITY = 85;
export const TITLE = "tracemonkey.pdf page 1 on an A0 page (vector, full bleed), 600 dpi: one page in bands";

/** The A0 page: page 1 scaled to fill A0 (841x1189 mm), so that every engine and peer renders the same thing at -r 600. */
export async function makeA0(path) {
  const src = await PDFDocument.load(readFileSync(SOURCE));
  const doc = await PDFDocument.create({ updateMetadata: false });
  const [embedded] = await doc.embedPages([src.getPage(0)]);
  const [w, h] = PageSizes.A0;
  const page = doc.addPage([w, h]);
  page.drawPage(embedded, { x: 0, y: 0, width: w, height: h });
  writeFileSync(path, await doc.save());
  return path;
}

const mb = (bytes) => bytes / 1e6;

/**
 * Measures the job; `best(fn)` repeats a measurement and keeps the fastest (run.mjs's), `summary(r)`
 * its figures. Returns run.mjs's job record (its `derive` and `table` apply).
 */
export async function bandsJob({ work, engines, workerCounts, best, summary, log, bandPixels }) {
  const input = await makeA0(join(work, "a0.pdf"));
  const results = [];
  const budgets = bandPixels ?? [undefined];
  let pixels;
  for (const engine of engines) {
    for (const budget of budgets) {
      for (const workers of workerCounts) {
        const out = join(work, `bands-${engine}-${workers}.pdf`);
        const args = [CLI, input, out, "--engine", engine, "--dpi", String(DPI), "--workers", String(workers), "--format", "jpeg", "--quality", String(QUALITY), "--json", "--quiet", "--progress", "json"];
        if (budget) args.push("--band-pixels", String(budget));
        const r = await best(() => measure(process.execPath, args, { tmpDir: work }));
        if (r.code !== 0) throw new Error(`pdfraster --engine ${engine} failed (${r.code}): ${r.stderr}`);
        const report = JSON.parse(r.stdout);
        const list = spawnSync("pdfimages", ["-list", out], { encoding: "utf8" }).stdout.trim().split("\n").slice(2);
        const bands = list.map((line) => line.trim().split(/\s+/));
        pixels ??= bands.length ? [Number(bands[0][3]), bands.reduce((sum, b) => sum + Number(b[4]), 0)] : undefined;
        const tool = `${engine === "pdfjs" ? "pdfraster" : `pdfraster --engine ${engine}`}${budget ? ` --band-pixels ${budget}` : ""}`;
        const done = r.stderr.split("\n").filter((line) => line.startsWith('{"type":"page-done"')).map((line) => JSON.parse(line));
        const perBand = done[0]?.bands ?? [];
        results.push({ tool, engine, workers, budget, bands: bands.length, ...summary(r), outputBytes: report.outputBytes, outputPages: report.outputPages, tempPeakBytes: r.tempPeakBytes, timings: report.timings, perBand });
        rmSync(out, { force: true });
        log(`  ${tool} -w ${workers}: ${(r.wallMs / 1000).toFixed(2)} s, ${bands.length} bands (${bandsPerWorker(perBand)}), worker ${Math.round(r.workerPeakMb)} MB, master ${Math.round(r.masterPeakMb)} MB`);
      }
    }
  }
  // Image output: the bands joined into one JPEG by libvips in the master; its peak RSS shows that the join streams.
  for (const engine of engines) {
    const workers = Math.max(...workerCounts);
    const dir = join(work, "images") + "/";
    const r = await best(() => measure(process.execPath, [CLI, input, dir, "--engine", engine, "--dpi", String(DPI), "--workers", String(workers), "--format", "jpeg", "--quality", String(QUALITY), "--json", "--quiet"], { tmpDir: work }));
    if (r.code !== 0) throw new Error(`pdfraster image output failed (${r.code}): ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    const tool = `${engine === "pdfjs" ? "pdfraster" : `pdfraster --engine ${engine}`} to a JPEG file`;
    results.push({ tool, engine, workers, ...summary(r), outputBytes: report.outputBytes, outputPages: 1, tempPeakBytes: r.tempPeakBytes, timings: report.timings });
    rmSync(dir, { recursive: true, force: true });
    log(`  ${tool} -w ${workers}: ${(r.wallMs / 1000).toFixed(2)} s, master ${Math.round(r.masterPeakMb)} MB, temp peak ${Math.round(mb(r.tempPeakBytes))} MB`);
  }
  const has = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
  if (has("pdftoppm") && has("img2pdf")) {
    const dir = join(work, "ppm");
    const out = join(work, "ppm.pdf");
    const command = `rm -rf '${dir}' && mkdir '${dir}' && pdftoppm -r ${DPI} -jpeg -jpegopt quality=${QUALITY} '${input}' '${dir}/p' && img2pdf --pillow-limit-break '${dir}'/p-*.jpg -o '${out}' && rm -rf '${dir}'`;
    const r = await best(() => measure("sh", ["-c", command], { tmpDir: work }));
    if (r.code === 0) {
      results.push({ tool: "pdftoppm | img2pdf", workers: 1, ...summary(r), outputBytes: statSync(out).size, outputPages: 1 });
      log(`  pdftoppm | img2pdf: ${(r.wallMs / 1000).toFixed(2)} s`);
    } else {
      results.push({ tool: "pdftoppm | img2pdf", skipped: `failed: exit ${r.code}: ${r.stderr.trim().split("\n").at(-1)}` });
    }
    rmSync(out, { force: true });
  } else {
    results.push({ tool: "pdftoppm | img2pdf", skipped: "poppler-utils or img2pdf is not installed" });
  }
  return { name: "bands", title: TITLE, input: "tracemonkey.pdf p1 on A0 (pdf-lib)", pages: 1, dpi: DPI, size: "original", pixels: pixels ?? [0, 0], results, breakdown: breakdown(results) };
}

/** "5+5": how many bands each worker drew, most first. */
function bandsPerWorker(perBand) {
  const counts = new Map();
  for (const { worker } of perBand) counts.set(worker, (counts.get(worker) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => b - a).join("+");
}

/**
 * What the lead needs to read the bands job: for each PDF run, the bands per worker, each band's
 * worker time (min / median / max and the busiest worker's sum), the master's serial parts (plan,
 * worker start-up, assembly), the peaks; then per engine the ratio of 1 worker's wall time to each
 * other count's, with both times.
 */
export function breakdown(results) {
  const s = (ms) => (ms / 1000).toFixed(2);
  const lines = ["| run | procs | bands per worker | band ms min / median / max | busiest worker s | plan s | worker start s (sum) | assemble s | wall s | worker MB | master MB |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"];
  const runs = results.filter((r) => r.perBand !== undefined && r.wallMs);
  for (const r of runs) {
    const ms = r.perBand.map((b) => b.ms).sort((a, b) => a - b);
    const byWorker = new Map();
    for (const b of r.perBand) byWorker.set(b.worker, (byWorker.get(b.worker) ?? 0) + b.ms);
    const busiest = Math.max(0, ...byWorker.values());
    const t = r.timings ?? {};
    lines.push(`| ${r.tool} | ${r.workers} | ${bandsPerWorker(r.perBand)} | ${ms[0] ?? ""} / ${ms[ms.length >> 1] ?? ""} / ${ms.at(-1) ?? ""} | ${s(busiest)} | ${s(t.plan ?? 0)} | ${s(t.workerStart ?? 0)} | ${s(t.assemble ?? 0)} | ${s(r.wallMs)} | ${r.workerPeakMb} | ${r.masterPeakMb} |`);
  }
  lines.push("");
  for (const tool of [...new Set(runs.map((r) => r.tool))]) {
    const one = runs.find((r) => r.tool === tool && r.workers === 1);
    for (const r of runs.filter((x) => x.tool === tool && x.workers > 1 && one)) {
      lines.push(`- ${tool}: 1 -> ${r.workers} workers: ${s(one.wallMs)} -> ${s(r.wallMs)} s = ${(one.wallMs / r.wallMs).toFixed(2)}x (target 1.6x at 2); CPU ${s(one.cpuMs ?? 0)} -> ${s(r.cpuMs ?? 0)} s; other load ${one.otherLoad?.toFixed(2) ?? "?"} / ${r.otherLoad?.toFixed(2) ?? "?"}`);
    }
  }
  return lines.join("\n");
}

// Alone: a short table of its own (npm run bench renders it with the other jobs).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { workers: { type: "string" }, engines: { type: "string" }, "band-pixels": { type: "string" } } });
  const cores = availableParallelism();
  const work = mkdtempSync(join(tmpdir(), "pdfraster-bench-"));
  const round = (n) => (n === undefined ? undefined : Math.round(n));
  try {
    const job = await bandsJob({
      work,
      engines: values.engines ? values.engines.split(",") : ["pdfjs"],
      workerCounts: values.workers ? values.workers.split(",").map(Number) : Array.from({ length: cores }, (_, i) => i + 1),
      bandPixels: values["band-pixels"]?.split(",").map(Number),
      best: async (fn) => {
        await settle({ maxMs: 10_000 });
        return fn();
      },
      summary: (r) => ({ wallMs: r.wallMs, cpuMs: r.cpuMs, masterPeakMb: round(r.masterPeakMb), workerPeakMb: round(r.workerPeakMb), otherLoad: r.otherLoad }),
      log: (s) => process.stderr.write(`bench: ${s}\n`),
    });
    console.log(`${job.title}; ${job.pixels.join("x")} px`);
    console.log("| tool | procs | bands | wall s | cpu s | master MB | worker MB | out MB | other load |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (const r of job.results) {
      if (r.skipped) console.log(`| ${r.tool} | | | skipped: ${r.skipped} | | | | | |`);
      else console.log(`| ${r.tool} | ${r.workers} | ${r.bands ?? ""} | ${(r.wallMs / 1000).toFixed(2)} | ${((r.cpuMs ?? 0) / 1000).toFixed(1)} | ${r.masterPeakMb ?? ""} | ${r.workerPeakMb} | ${mb(r.outputBytes).toFixed(1)} | ${r.otherLoad?.toFixed(2) ?? ""} |`);
    }
    console.log(`\n${job.breakdown}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
