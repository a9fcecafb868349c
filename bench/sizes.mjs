#!/usr/bin/env node
// Output size against input size, per kind of document (issue: small output). Not a test: sizes and
// times of one run on this machine, for README/docs. `npm run bench -- --sizes` builds first.
//
//   npm run bench -- --sizes                       every document, 300 dpi, 2 workers
//   npm run bench -- --sizes --quick               12 pages of each generated document
//   npm run bench -- --sizes --docs manual,scan --formats jpeg,auto
//   npm run bench -- --sizes --baseline /other/build/dist/cli.js   also the same runs with another build ("before")
//
// Columns: input bytes; pdfraster with each --format (and the baseline build's); every page 1-bit as
// CCITT G4 through `pdftoppm -mono | img2pdf` (the lossless 1-bit reference); bytes per page, x input
// and wall time. Generated documents (bench/documents.mjs) live in a temp dir and are removed.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { makeDocument } from "./documents.mjs";
import { measure } from "./measure.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const CORPUS = join(ROOT, "../shared/corpus/pdfjs");
const log = (s) => process.stderr.write(`sizes: ${s}\n`);

const { values: args } = parseArgs({
  options: {
    sizes: { type: "boolean" },
    quick: { type: "boolean" },
    docs: { type: "string" },
    formats: { type: "string", default: "jpeg,auto" },
    dpi: { type: "string", default: "300" },
    workers: { type: "string", default: "2" },
    engine: { type: "string", default: "pdfjs" },
    baseline: { type: "string" },
    "no-g4": { type: "boolean" },
    out: { type: "string" },
  },
});

/** The documents: what each stands for, and how it is made. */
const DOCS = {
  article: { title: "journal article (tracemonkey.pdf): text, figures, photos", corpus: "tracemonkey.pdf" },
  manual: { title: "manual, black text, code, plots (generated)", generate: "manual", pages: 120 },
  "manual-colour": { title: "manual with blue links, red headings, tinted code, coloured plots (generated)", generate: "manual-colour", pages: 120 },
  paper: { title: "two-column paper, gray logo, colour badge (generated)", generate: "article", pages: 24 },
  brochure: { title: "brochure: a photograph and text on every page (generated)", generate: "brochure", pages: 12 },
  scan: { title: "scan: bug1815476.pdf x10 (600 dpi strips, JPEG + CCITT)", corpus: "bug1815476.pdf", repeat: 10 },
};

const work = mkdtempSync(join(tmpdir(), "pdfraster-sizes-"));
const dpi = Number(args.dpi);
const formats = args.formats.split(",");

async function input(name, doc) {
  const path = join(work, `${name}.pdf`);
  if (doc.generate) return makeDocument(doc.generate, args.quick ? Math.min(12, doc.pages) : doc.pages, path);
  const source = join(CORPUS, doc.corpus);
  if (!doc.repeat) return source;
  const r = spawnSync("qpdf", ["--empty", "--pages", ...Array(args.quick ? 2 : doc.repeat).fill(source), "--", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`qpdf failed: ${r.stderr}`);
  return path;
}

function pages(pdf) {
  return Number(spawnSync("qpdf", ["--show-npages", pdf], { encoding: "utf8" }).stdout.trim());
}

async function pdfraster(cli, pdf, format) {
  const out = join(work, "out.pdf");
  const r = await measure(process.execPath, [cli, pdf, out, "--dpi", String(dpi), "--workers", args.workers, "--engine", args.engine, "--format", format, "--json", "--quiet"], { tmpDir: work });
  if (r.code !== 0) throw new Error(`pdfraster --format ${format} failed (${r.code}): ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  const bytes = statSync(out).size;
  rmSync(out, { force: true });
  return { bytes, wallMs: r.wallMs, cpuMs: r.cpuMs, encodings: encodingsOf(report) };
}

/** How many pages were stored in each format (jpeg, png, g4, jbig2, layers), from the JSON report (when it says). */
function encodingsOf(report) {
  const counts = {};
  const list = Array.isArray(report.pageEncodings) ? report.pageEncodings : [];
  for (const page of list) {
    const key = page.format ?? page.encoding;
    if (key) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Every page 1-bit as CCITT G4: pdftoppm -mono, then img2pdf (which stores 1-bit images as G4). */
async function g4Reference(pdf) {
  const dir = join(work, "g4");
  mkdirSync(dir, { recursive: true });
  const out = join(work, "g4.pdf");
  const r = await measure("sh", ["-c", `pdftoppm -mono -r ${dpi} '${pdf}' '${dir}/p' && img2pdf --output '${out}' $(ls '${dir}'/p-*.pbm | sort)`], { tmpDir: work });
  if (r.code !== 0) throw new Error(`pdftoppm | img2pdf failed: ${r.stderr}`);
  const bytes = statSync(out).size;
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { force: true });
  return { bytes, wallMs: r.wallMs, cpuMs: r.cpuMs };
}

const names = args.docs ? args.docs.split(",") : Object.keys(DOCS);
for (const name of names) if (!DOCS[name]) throw new Error(`unknown document ${name}; documents: ${Object.keys(DOCS).join(", ")}`);
const rows = [];
try {
  for (const name of names) {
    const doc = DOCS[name];
    const pdf = await input(name, doc);
    const n = pages(pdf);
    const inputBytes = statSync(pdf).size;
    log(`${name}: ${doc.title}, ${n} pages, ${inputBytes} bytes`);
    const row = { document: name, title: doc.title, pages: n, inputBytes, results: {} };
    for (const format of formats) {
      if (args.baseline) {
        row.results[`before ${format}`] = await pdfraster(args.baseline, pdf, format);
        log(`  before --format ${format}: ${row.results[`before ${format}`].bytes} bytes`);
      }
      row.results[format] = await pdfraster(CLI, pdf, format);
      log(`  --format ${format}: ${row.results[format].bytes} bytes, ${(row.results[format].wallMs / 1000).toFixed(1)} s`);
    }
    if (!args["no-g4"]) {
      row.results["G4 via img2pdf"] = await g4Reference(pdf);
      log(`  G4 reference: ${row.results["G4 via img2pdf"].bytes} bytes`);
    }
    rows.push(row);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const mb = (b) => (b / 1e6).toFixed(b < 1e6 ? 3 : 2);
const columns = Object.keys(rows[0]?.results ?? {});
console.log(`Output size at ${dpi} dpi, ${args.workers} workers, engine ${args.engine}: MB (x input, KB/page, s)\n`);
console.log(`| document | pages | input MB | ${columns.join(" | ")} |`);
console.log(`|---|---|---|${columns.map(() => "---").join("|")}|`);
for (const row of rows) {
  const cells = columns.map((c) => {
    const r = row.results[c];
    return `${mb(r.bytes)} (${(r.bytes / row.inputBytes).toFixed(1)}x, ${Math.round(r.bytes / row.pages / 1000)} KB/p, ${(r.wallMs / 1000).toFixed(1)} s)`;
  });
  console.log(`| ${row.document} | ${row.pages} | ${mb(row.inputBytes)} | ${cells.join(" | ")} |`);
}
console.log(`\nPages by stored format:\n`);
for (const row of rows) {
  for (const c of columns) {
    const counts = row.results[c].encodings;
    if (counts && Object.keys(counts).length > 0) console.log(`- ${row.document}, ${c}: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }
}
const file = args.out ?? join(ROOT, "bench/results", `sizes-${new Date().toISOString().slice(0, 10)}.json`);
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), dpi, workers: args.workers, engine: args.engine, quick: !!args.quick, rows }, null, 2));
log(`figures in ${file}`);
