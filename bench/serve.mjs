#!/usr/bin/env node
// pdfraster serve benchmark (docs/service.md): a warm service against the CLI and poppler, and many
// small documents through the service, the CLI one by one, and an --out-dir batch. Part of a full
// `npm run bench`; alone (after `npm run build`):
//
//   node bench/serve.mjs                 tracemonkey at 300 dpi, best of 3; 100 documents of 1-3 pages
//   node bench/serve.mjs --docs 20 --repeat 1   a short run
//
// Wall times are the client's: for tracemonkey, `curl -sf --data-binary @in.pdf -o out.pdf` (README's
// quick start; node:http writing the same file when curl is missing), from starting curl to the last
// byte of the output on disk; the small documents go through node:http. The machine may be shared: poppler and the service run interleaved (one
// each in turn), and every service request is broken down from its Server-Timing header, with the
// CPU time of the service, its workers and the client, and the load of everything else meanwhile.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { pipeline } from "node:stream/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuMsOf, machineBusyMs, measure, settle } from "./measure.mjs";
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

function childrenOf(pid) {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** `upload;dur=5.1, plan;dur=3.2` -> { upload: 5.1, plan: 3.2 } */
function parseServerTiming(header) {
  return Object.fromEntries((header ?? "").split(",").map((part) => /^\s*([\w-]+);dur=([\d.]+)/.exec(part)).filter(Boolean).map((m) => [m[1], Number(m[2])]));
}

/**
 * Starts counting the CPU of the service's process and its workers, and the machine's busy time;
 * the returned function, given the request's wall time and the client's CPU ms, gives `cpu` and
 * `otherLoad` (the cores other processes kept busy meanwhile) for a request's record.
 */
function serviceCpuSince(service) {
  const workers = childrenOf(service.pid);
  const cpuBefore = [cpuMsOf(service.pid), ...workers.map(cpuMsOf)];
  const busyBefore = machineBusyMs();
  return (wallMs, clientMs) => {
    const busyAfter = machineBusyMs();
    const [master, ...each] = [cpuMsOf(service.pid), ...workers.map(cpuMsOf)].map((ms, i) => ms - cpuBefore[i]);
    const cpu = { service: master, workers: each.reduce((a, b) => a + b, 0), client: clientMs };
    const ours = cpu.service + cpu.workers + (clientMs ?? 0);
    return { cpu, ...(busyBefore !== undefined && busyAfter !== undefined ? { otherLoad: Math.max(0, (busyAfter - busyBefore - ours) / wallMs) } : {}) };
  };
}

/**
 * POSTs one PDF with node:http and writes the answer to `out` as it arrives; resolves with the wall
 * time, the output's size, the service's Server-Timing stages, and CPU ms of the service's process,
 * its workers and this client, and the cores other processes kept busy meanwhile (`service`: with `pid`).
 */
async function rasterizeOver(url, pdf, query, service, out) {
  const cpuOf = service && serviceCpuSince(service);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const response = await new Promise((resolve, reject) => {
    const req = request(`${url}/v1/rasterize?${query}`, { method: "POST", headers: { "content-type": "application/pdf", "content-length": pdf.length } }, resolve);
    req.on("error", reject);
    req.end(pdf);
  });
  const headMs = performance.now() - started;
  if (response.statusCode !== 200) {
    response.resume();
    throw new Error(`the service answered ${response.statusCode}`);
  }
  await pipeline(response, createWriteStream(out ?? "/dev/null"));
  const wallMs = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  const r = { wallMs, headMs, pages: Number(response.headers["x-pdfraster-pages"]), timing: parseServerTiming(response.headers["server-timing"]) };
  return cpuOf ? { ...r, ...cpuOf(wallMs, (client.user + client.system) / 1000) } : r;
}

/** curl, the client of README's quick start, when installed: it writes the output as a user's pipeline would. */
const CURL = spawnSync("curl", ["--version"], { stdio: "ignore" }).status === 0 ? "curl" : undefined;

/**
 * As rasterizeOver(), with `curl -sf --data-binary @pdf -o out` (spawned through bash, whose `times`
 * gives curl's CPU): the wall time includes starting curl, as it would for a user; the headers come
 * from curl's `-D` file.
 */
async function curlOver(url, pdfPath, query, service, out) {
  const headersFile = `${out}.headers`;
  const cpuOf = serviceCpuSince(service);
  const started = performance.now();
  const script = 'curl -sf -o "$1" -D "$2" -H "content-type: application/pdf" --data-binary @"$3" "$4" || exit $?; times';
  const child = spawn("bash", ["-c", script, "curl", out, headersFile, pdfPath, `${url}/v1/rasterize?${query}`], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`curl exited with ${code}`);
  // `times`: the shell's own user/system, then its children's (curl): "0m0.012s 0m0.031s".
  const [, user, system] = /\n?\d+m([\d.]+)s \d+m([\d.]+)s\s*$/.exec(stdout.trim()) ?? [];
  const headerText = readFileSync(headersFile, "latin1");
  rmSync(headersFile, { force: true });
  const header = (name) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(headerText)?.[1]?.trim();
  const r = { wallMs, pages: Number(header("x-pdfraster-pages")), timing: parseServerTiming(header("server-timing")) };
  return { ...r, ...cpuOf(wallMs, user === undefined ? undefined : (Number(user) + Number(system)) * 1000) };
}

/** One line: where a request's time went. */
function breakdown(r, workers) {
  const t = r.timing;
  const idle = t.render !== undefined && t.busy !== undefined ? workers * t.render - t.busy : undefined;
  const ms = (n) => (n === undefined ? "?" : n.toFixed(0));
  const send = t.total !== undefined ? r.wallMs - t.total : undefined;
  return (
    `upload ${ms(t.upload)}, wait ${ms(t.wait)}, plan ${ms(t.plan)}, first page ${ms(t["first-page"])}, render ${ms(t.render)} ` +
    `(workers busy ${ms(t.busy)}, idle ${ms(idle)}), finish ${ms(t.finish)}, response ${ms(send)} ms; ` +
    `CPU service ${ms(r.cpu?.service)}, workers ${ms(r.cpu?.workers)}, client ${ms(r.cpu?.client)} ms; others' load ${r.otherLoad === undefined ? "?" : r.otherLoad.toFixed(2)} cores`
  );
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
  // 1. tracemonkey, 14 pages at 300 dpi: per engine the warm service, interleaved with poppler over
  // the same cores (one run of each in turn, so that a change in the machine's load hits both), then the CLI.
  const poppler = peerCommands({ input: TRACEMONKEY, pages: 14, dpi: 300, quality: QUALITY, paper: undefined, pixelScale: 1, cores, work }).find((p) => p.name.startsWith("pdftoppm x"));
  const popplerRuns = [];
  const runPoppler = async () => {
    if (!poppler || poppler.skipped) return;
    const ppm = await measure("sh", ["-c", poppler.command], { tmpDir: work });
    if (ppm.code !== 0) return;
    popplerRuns.push(ppm);
    log(`serve: tracemonkey through ${poppler.name}: ${(ppm.wallMs / 1000).toFixed(2)} s (CPU ${(ppm.cpuMs / 1000).toFixed(2)} s, others' load ${ppm.otherLoad?.toFixed(2) ?? "?"} cores)`);
  };
  const popplerBest = () => (popplerRuns.length ? Math.min(...popplerRuns.map((r) => r.wallMs)) : undefined);
  const engineRows = [];
  const out = join(work, "served.pdf");
  for (const engine of engines) {
    const name = engine === "pdfjs" ? "" : ` --engine ${engine}`;
    const service = await startService(cores, serviceTmp, engine);
    try {
      const query = `dpi=300&format=jpeg&quality=${QUALITY}`;
      // The client: curl when installed (as README's quick start), else node:http writing the same file.
      const client = CURL ? () => curlOver(service.url, TRACEMONKEY, query, service, out) : () => rasterizeOver(service.url, pdf, query, service, out);
      await client(); // warm: JIT, fonts
      let warm;
      for (let i = 0; i < repeat; i++) {
        if (!quiet) await settle({ maxMs: 10_000 });
        await runPoppler();
        if (!quiet) await settle({ maxMs: 10_000 });
        const r = await client();
        log(`serve: tracemonkey through the warm service${name}: ${(r.wallMs / 1000).toFixed(2)} s: ${breakdown(r, cores)}`);
        if (!warm || r.wallMs < warm.wallMs) warm = r;
      }
      engineRows.push({ case: tracemonkey, tool: `pdfraster serve${name} (warm)`, wallMs: warm.wallMs, timing: warm.timing, cpu: warm.cpu, otherLoad: warm.otherLoad });
      if (engine === "pdfjs" && docs > 0) await smallDocumentsThrough(service, smallRows);
      engineRows.push({ case: "service memory", tool: `pdfraster serve${name} master`, peakMb: peakMb(service.pid) });
    } finally {
      await service.stop();
    }
    const cliOut = join(work, "serve-cli.pdf");
    const cli = await best(() => measure(process.execPath, [CLI, TRACEMONKEY, cliOut, "--engine", engine, "--dpi", "300", "--format", "jpeg", "--quality", String(QUALITY), "--workers", String(cores), "--quiet"], { tmpDir: work }), repeat, quiet);
    if (cli.code !== 0) throw new Error(`pdfraster failed: ${cli.stderr}`);
    log(`serve: tracemonkey through the CLI${name}: ${(cli.wallMs / 1000).toFixed(2)} s`);
    engineRows.push({ case: tracemonkey, tool: `pdfraster CLI${name}`, wallMs: cli.wallMs });
  }
  const popplerMs = popplerBest();
  rows.push(popplerMs ? { case: tracemonkey, tool: poppler.name, wallMs: popplerMs, overPoppler: 1, cpuMs: Math.min(...popplerRuns.map((r) => r.cpuMs ?? Infinity)) } : { case: tracemonkey, tool: "pdftoppm | img2pdf", skipped: poppler?.skipped ?? "not available" });
  for (const row of engineRows) rows.push(row.wallMs !== undefined && popplerMs ? { ...row, overPoppler: row.wallMs / popplerMs } : row);
  for (const row of rows.filter((r) => r.timing)) log(`serve: ${row.tool}, best run: ${(row.wallMs / 1000).toFixed(2)} s = ${row.overPoppler?.toFixed(2) ?? "?"}x poppler's best; ${breakdown(row, cores)}`);

  // 2. Many small documents: through the service (4 in flight, its default --max-jobs), the CLI one by one, one --out-dir batch.
  async function smallDocumentsThrough(service, rows) {
    const documents = smallDocuments(join(work, "small"), docs);
    const small = `dpi=${SMALL_DPI}&format=jpeg&quality=${QUALITY}`;
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
      const r = await measure(process.execPath, [CLI, d.path, join(work, `one-${i}.pdf`), "--dpi", String(SMALL_DPI), "--format", "jpeg", "--quality", String(QUALITY), "--quiet"], { tmpDir: work });
      if (r.code !== 0) throw new Error(`pdfraster failed: ${r.stderr}`);
      rmSync(join(work, `one-${i}.pdf`), { force: true });
    }
    const cliMs = performance.now() - oneByOne;
    log(`serve: ${docs} small documents through the CLI one by one: ${(cliMs / 1000).toFixed(2)} s`);
    if (!quiet) await settle({ maxMs: 10_000 });
    const batch = await measure(process.execPath, [CLI, "--out-dir", join(work, "batch"), ...documents.map((d) => d.path), "--dpi", String(SMALL_DPI), "--format", "jpeg", "--quality", String(QUALITY), "--quiet"], { tmpDir: work });
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
  // CPU s: poppler's whole tree; the service's process and its workers (not the client) for its best run.
  const lines = [`**serve**: warm service (${cores} workers) against the CLI and poppler; wall time as the client sees it`, "", "| case | tool | wall s | x poppler | CPU s | documents/s |", "|---|---|--:|--:|--:|--:|"];
  for (const r of rows) {
    const cpuMs = r.cpuMs ?? (r.cpu ? r.cpu.service + r.cpu.workers : undefined);
    if (r.peakMb !== undefined) lines.push(`| ${r.case} | ${r.tool} | peak RSS ${fmt(r.peakMb, 0)} MB | | | |`);
    else if (r.skipped) lines.push(`| ${r.case} | ${r.tool} | skipped: ${r.skipped} | | | |`);
    else lines.push(`| ${r.case} | ${r.tool.replaceAll("|", "\\|")} | ${fmt(r.wallMs / 1000)} | ${fmt(r.overPoppler)} | ${cpuMs === undefined ? "" : fmt(cpuMs / 1000)} | ${fmt(r.documentsPerSecond)} |`);
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
