#!/usr/bin/env node
// pdfraster serve benchmark (README "Service"): a warm service against the CLI and poppler, and many
// small documents through the service, the CLI one by one, and an --out-dir batch. Part of a full
// `npm run bench`; alone (after `npm run build`):
//
//   node bench/serve.mjs                 tracemonkey at 300 dpi, best of 3; 100 documents of 1-3 pages
//   node bench/serve.mjs --docs 20 --repeat 1   a short run
//
// Wall times are the client's: from sending the PDF to holding the whole output.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measure, settle } from "./measure.mjs";
import { peerCommands } from "./peers.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const TRACEMONKEY = join(ROOT, "../shared/corpus/pdfjs/tracemonkey.pdf");
const QUALITY = 85;
const SMALL_DPI = 150;

/** Starts `pdfraster serve` on a free port; resolves when every worker is ready. */
async function startService(workers, tmp, engine) {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--workers", String(workers), "--engine", engine], { env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const url = await new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`pdfraster serve exited with ${code}: ${stderr}`)));
  });
  for (let i = 0; i < 300 && (await fetch(`${url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  const stop = () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", resolve), child.kill("SIGTERM"))));
  return { url, pid: child.pid, stop };
}

/** POSTs one PDF; resolves with the wall time and the output's size. */
async function rasterizeOver(url, pdf, query) {
  const started = performance.now();
  const response = await fetch(`${url}/v1/rasterize?${query}`, { method: "POST", body: pdf, headers: { "content-type": "application/pdf" } });
  const bytes = (await response.arrayBuffer()).byteLength;
  if (response.status !== 200) throw new Error(`the service answered ${response.status}`);
  return { wallMs: performance.now() - started, bytes, pages: Number(response.headers.get("x-pdfraster-pages")) };
}

function peakMb(pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Runs `fn` `repeat` times (each after the machine settles) and keeps the fastest. */
async function best(fn, repeat, quiet) {
  let fastest;
  for (let i = 0; i < repeat; i++) {
    if (!quiet) await settle({ maxMs: 10_000 });
    const r = await fn();
    if (!fastest || r.wallMs < fastest.wallMs) fastest = r;
  }
  return fastest;
}

/** The bundled engines (pdf.js, PDFium) always, MuPDF when its optional package resolves (as npm run bench). */
function defaultEngines() {
  try {
    import.meta.resolve("mupdf");
    return ["pdfjs", "pdfium", "mupdf"];
  } catch {
    return ["pdfjs", "pdfium"];
  }
}

/** 1-3 page documents cut from tracemonkey with qpdf, in `dir`. */
function smallDocuments(dir, count) {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const first = (i % 12) + 1;
    const pages = (i % 3) + 1;
    const path = join(dir, `doc-${String(i).padStart(3, "0")}.pdf`);
    const r = spawnSync("qpdf", ["--empty", "--pages", TRACEMONKEY, `${first}-${first + pages - 1}`, "--", path], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`qpdf failed: ${r.stderr}`);
    return { path, pages };
  });
}

/**
 * The service benchmark; `work` is a temp dir (removed by the caller). Returns { results, table }.
 * `docs`: how many small documents; `quiet`: do not wait for the machine to settle.
 */
export async function serveBench({ log = () => {}, work, repeat = 3, docs = 100, cores = availableParallelism(), quiet = false, engines = defaultEngines() }) {
  const serviceTmp = join(work, "service");
  mkdirSync(serviceTmp, { recursive: true });
  const rows = [];
  const smallRows = [];
  const pdf = readFileSync(TRACEMONKEY);
  const tracemonkey = "tracemonkey 14 pages, 300 dpi";
  // 1. tracemonkey, 14 pages at 300 dpi: poppler over the same cores, then per engine the warm service and the CLI.
  const poppler = peerCommands({ input: TRACEMONKEY, pages: 14, dpi: 300, quality: QUALITY, paper: undefined, pixelScale: 1, cores, work }).find((p) => p.name.startsWith("pdftoppm x"));
  let popplerMs;
  if (poppler && !poppler.skipped) {
    const ppm = await best(() => measure("sh", ["-c", poppler.command], { tmpDir: work }), repeat, quiet);
    if (ppm.code === 0) popplerMs = ppm.wallMs;
    log(`serve: tracemonkey through ${poppler.name}: ${(ppm.wallMs / 1000).toFixed(2)} s`);
  }
  rows.push(popplerMs ? { case: tracemonkey, tool: poppler.name, wallMs: popplerMs, overPoppler: 1 } : { case: tracemonkey, tool: "pdftoppm | img2pdf", skipped: poppler?.skipped ?? "not available" });
  for (const engine of engines) {
    const name = engine === "pdfjs" ? "" : ` --engine ${engine}`;
    const service = await startService(cores, serviceTmp, engine);
    try {
      const query = `dpi=300&quality=${QUALITY}`;
      await rasterizeOver(service.url, pdf, query); // warm: JIT, fonts
      const warm = await best(() => rasterizeOver(service.url, pdf, query), repeat, quiet);
      log(`serve: tracemonkey through the warm service${name}: ${(warm.wallMs / 1000).toFixed(2)} s`);
      rows.push({ case: tracemonkey, tool: `pdfraster serve${name} (warm)`, wallMs: warm.wallMs, overPoppler: popplerMs && warm.wallMs / popplerMs });
      if (engine === "pdfjs" && docs > 0) await smallDocumentsThrough(service, smallRows);
      rows.push({ case: "service memory", tool: `pdfraster serve${name} master`, peakMb: peakMb(service.pid) });
    } finally {
      await service.stop();
    }
    const out = join(work, "serve-cli.pdf");
    const cli = await best(() => measure(process.execPath, [CLI, TRACEMONKEY, out, "--engine", engine, "--dpi", "300", "--quality", String(QUALITY), "--workers", String(cores), "--quiet"], { tmpDir: work }), repeat, quiet);
    if (cli.code !== 0) throw new Error(`pdfraster failed: ${cli.stderr}`);
    log(`serve: tracemonkey through the CLI${name}: ${(cli.wallMs / 1000).toFixed(2)} s`);
    rows.push({ case: tracemonkey, tool: `pdfraster CLI${name}`, wallMs: cli.wallMs, overPoppler: popplerMs && cli.wallMs / popplerMs });
  }

  // 2. Many small documents: through the service (4 in flight, its default --max-jobs), the CLI one by one, one --out-dir batch.
  async function smallDocumentsThrough(service, rows) {
    const documents = smallDocuments(join(work, "small"), docs);
    const small = `dpi=${SMALL_DPI}&quality=${QUALITY}`;
    const bodies = documents.map((d) => readFileSync(d.path));
    if (!quiet) await settle({ maxMs: 10_000 });
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < bodies.length) await rasterizeOver(service.url, bodies[next++], small);
    }));
    const serviceMs = performance.now() - started;
    log(`serve: ${docs} small documents through the service: ${(serviceMs / 1000).toFixed(2)} s`);
    if (!quiet) await settle({ maxMs: 10_000 });
    const oneByOne = performance.now();
    for (const [i, d] of documents.entries()) {
      const r = await measure(process.execPath, [CLI, d.path, join(work, `one-${i}.pdf`), "--dpi", String(SMALL_DPI), "--quality", String(QUALITY), "--quiet"], { tmpDir: work });
      if (r.code !== 0) throw new Error(`pdfraster failed: ${r.stderr}`);
      rmSync(join(work, `one-${i}.pdf`), { force: true });
    }
    const cliMs = performance.now() - oneByOne;
    log(`serve: ${docs} small documents through the CLI one by one: ${(cliMs / 1000).toFixed(2)} s`);
    if (!quiet) await settle({ maxMs: 10_000 });
    const batch = await measure(process.execPath, [CLI, "--out-dir", join(work, "batch"), ...documents.map((d) => d.path), "--dpi", String(SMALL_DPI), "--quality", String(QUALITY), "--quiet"], { tmpDir: work });
    if (batch.code !== 0) throw new Error(`pdfraster --out-dir failed: ${batch.stderr}`);
    log(`serve: ${docs} small documents as one --out-dir batch: ${(batch.wallMs / 1000).toFixed(2)} s`);
    const label = `${docs} documents of 1-3 pages, ${SMALL_DPI} dpi`;
    rows.push(
      { case: label, tool: "pdfraster serve (4 in flight)", wallMs: serviceMs, documentsPerSecond: docs / (serviceMs / 1000) },
      { case: label, tool: "pdfraster CLI, one by one", wallMs: cliMs, documentsPerSecond: docs / (cliMs / 1000) },
      { case: label, tool: "pdfraster --out-dir (one batch)", wallMs: batch.wallMs, documentsPerSecond: docs / (batch.wallMs / 1000) },
    );
  }
  rows.push(...smallRows);
  const fmt = (n, d = 2) => (n === undefined ? "" : n.toFixed(d));
  const lines = [`**serve**: warm service (${cores} workers) against the CLI and poppler; wall time as the client sees it`, "", "| case | tool | wall s | x poppler | documents/s |", "|---|---|--:|--:|--:|"];
  for (const r of rows) {
    if (r.peakMb !== undefined) lines.push(`| ${r.case} | ${r.tool} | peak RSS ${fmt(r.peakMb, 0)} MB | | |`);
    else if (r.skipped) lines.push(`| ${r.case} | ${r.tool} | skipped: ${r.skipped} | | |`);
    else lines.push(`| ${r.case} | ${r.tool.replaceAll("|", "\\|")} | ${fmt(r.wallMs / 1000)} | ${fmt(r.overPoppler)} | ${fmt(r.documentsPerSecond)} |`);
  }
  return { results: rows.map((r) => ({ ...r, wallMs: r.wallMs && Math.round(r.wallMs) })), table: lines.join("\n") };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { repeat: { type: "string", default: "3" }, docs: { type: "string", default: "100" }, engines: { type: "string" }, "no-settle": { type: "boolean" } } });
  const work = mkdtempSync(join(tmpdir(), "pdfraster-bench-serve-"));
  try {
    const { results, table } = await serveBench({ log: (s) => process.stderr.write(`bench: ${s}\n`), work, repeat: Number(values.repeat), docs: Number(values.docs), quiet: values["no-settle"], ...(values.engines ? { engines: values.engines.split(",") } : {}) });
    console.log(table);
    writeFileSync(join(ROOT, "bench/results/serve-latest.json"), `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
