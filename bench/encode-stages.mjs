#!/usr/bin/env node
// CPU and bytes of each way a worker encodes a page (worker/encode.ts encodePage, as the render
// processes call it), on pages rendered by pdfraster's own engine: what `--format auto` costs
// against `--format jpeg`, stage by stage. CPU is the process's user + system time (sharp's
// threads included), the median of --repeat runs after one warm-up, with sharp's own thread count
// as in a worker (libvips: one thread per core; --threads sets it).
//
//   node bench/encode-stages.mjs [--dpi 300] [--repeat 5] [--threads n] [--json out.json] [file.pdf:page ...]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { renderPage } from "./render-page.mjs";

const DIST = new URL("../dist/", import.meta.url);
const { encodePage } = await import(new URL("worker/encode.js", DIST).href);
const { measurePage } = await import(new URL("worker/classify.js", DIST).href);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dpi: { type: "string", default: "300" }, repeat: { type: "string", default: "5" }, json: { type: "string" }, threads: { type: "string" } },
});
const dpi = Number(values.dpi);
const repeat = Number(values.repeat);
if (values.threads) sharp.concurrency(Number(values.threads));
const pages = positionals.length ? positionals : ["tracemonkey.pdf:1", "tracemonkey.pdf:3", "tracemonkey.pdf:2"];

/** The encodings a page can get: `--format jpeg`'s, and each of `--format auto`'s (forced). */
const STAGES = {
  "jpeg rgb (--format jpeg)": { format: "jpeg", color: "rgb" },
  "mono g4 (PDF)": { format: "png", color: "mono", pdf: true },
  "mono png (image files; PDF before g4)": { format: "png", color: "mono" },
  "auto gray4": { format: "auto", color: "rgb", encoding: "gray4", pdf: true },
  "auto gray-smallest": { format: "auto", color: "rgb", encoding: "gray-smallest", pdf: true },
  "auto rgb-smallest": { format: "auto", color: "rgb", encoding: "rgb-smallest", pdf: true },
};

/** Median CPU ms of `run` over `repeat` runs after a warm-up, and what the last run returned. */
async function cpu(run) {
  let result = await run();
  const samples = [];
  for (let i = 0; i < repeat; i++) {
    const before = process.cpuUsage();
    result = await run();
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { ms: Math.round(samples[Math.floor(samples.length / 2)]), result };
}

const rows = [];
const out = join(fileURLToPath(new URL("../", import.meta.url)), ".encode-stages.tmp");
for (const spec of pages) {
  const { rgba, width, height, channels } = await renderPage(spec, dpi);
  rows.push({ page: spec, stage: "classify (auto, every page)", ms: (await cpu(() => measurePage(rgba, width, height, channels))).ms, bytes: null, format: null });
  for (const [stage, options] of Object.entries(STAGES)) {
    const { ms, result } = await cpu(() => encodePage(rgba, width, height, out, { quality: 85, ...options }, channels));
    rows.push({ page: spec, stage, ms, bytes: result.bytes, format: result.format });
  }
}
await import("node:fs/promises").then((fs) => fs.rm(out, { force: true }));

console.log(`| page (${dpi} DPI) | stage | CPU ms | bytes | stored as |\n|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.page} | ${r.stage} | ${r.ms} | ${r.bytes ?? ""} | ${r.format ?? ""} |`);
if (values.json) writeFileSync(values.json, JSON.stringify({ dpi, repeat, rows }, null, 2));
