#!/usr/bin/env node
// Encoder settings, measured: size against time for sharp's JPEG and PNG options on pages rendered
// by pdfraster's own engine (the pixels the pipeline encodes). Each setting is timed as the best of
// --repeat runs, with sharp limited to one thread as in a worker (one worker per core).
//
//   node bench/encode-settings.mjs [--dpi 300] [--repeat 3] [--json out.json] [file.pdf:page ...]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { renderPage } from "./render-page.mjs";

const DIST = new URL("../dist/", import.meta.url);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dpi: { type: "string", default: "300" },
    repeat: { type: "string", default: "3" },
    json: { type: "string" },
    threads: { type: "string", default: "1" },
  },
});
const dpi = Number(values.dpi);
const repeat = Number(values.repeat);
sharp.concurrency(Number(values.threads));

const pages = positionals.length
  ? positionals
  : ["tracemonkey.pdf:1", "tracemonkey.pdf:6", "bug1815476.pdf:1", "issue5475.pdf:1", "issue840.pdf:1"];

const JPEG = {
  "q85 420 optimiseCoding (pdfraster)": { quality: 85, chromaSubsampling: "4:2:0", mozjpeg: false },
  "q85 420 optimiseCoding=false": { quality: 85, chromaSubsampling: "4:2:0", optimiseCoding: false },
  "q85 444": { quality: 85, chromaSubsampling: "4:4:4", mozjpeg: false },
  "q85 420 trellis": { quality: 85, chromaSubsampling: "4:2:0", trellisQuantisation: true },
  "q85 420 overshoot": { quality: 85, chromaSubsampling: "4:2:0", overshootDeringing: true },
  "q85 420 optimiseScans (progressive)": { quality: 85, chromaSubsampling: "4:2:0", progressive: true, optimiseScans: true },
  "q85 420 quantTable 3 (ImageMagick)": { quality: 85, chromaSubsampling: "4:2:0", quantisationTable: 3 },
  "q85 mozjpeg": { quality: 85, mozjpeg: true },
};
const PNG = {
  "level 6 no adaptive": { compressionLevel: 6, adaptiveFiltering: false },
  "level 1 no adaptive": { compressionLevel: 1, adaptiveFiltering: false },
  "level 3 no adaptive": { compressionLevel: 3, adaptiveFiltering: false },
  "level 6 adaptive": { compressionLevel: 6, adaptiveFiltering: true },
  "level 9 no adaptive": { compressionLevel: 9, adaptiveFiltering: false },
  "level 3 adaptive": { compressionLevel: 3, adaptiveFiltering: true },
};

/** Best of `repeat` runs, in CPU ms of this process (all threads): steadier than wall time on a shared machine. */
async function time(fn) {
  let best = Infinity;
  let wall = Infinity;
  let out;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    out = await fn();
    const { user, system } = process.cpuUsage(c);
    best = Math.min(best, (user + system) / 1000);
    wall = Math.min(wall, performance.now() - t);
  }
  return { ms: best, wallMs: wall, bytes: out.length };
}

const rows = [];
for (const spec of pages) {
  const { rgba, width, height, channels } = await renderPage(spec, dpi);
  const raw = { raw: { width, height, channels } }; // pdf.js gives RGB (3), other engines RGBA
  for (const [name, o] of Object.entries(JPEG)) {
    rows.push({ page: spec, pixels: width * height, kind: "jpeg", setting: name, ...(await time(() => sharp(rgba, raw).removeAlpha().jpeg(o).toBuffer())) });
  }
  for (const [name, o] of Object.entries(PNG)) {
    rows.push({ page: spec, pixels: width * height, kind: "png rgb", setting: name, ...(await time(() => sharp(rgba, raw).removeAlpha().png({ palette: false, ...o }).toBuffer())) });
  }
  for (const [name, o] of Object.entries(PNG)) {
    const mono = () => sharp(rgba, raw).removeAlpha().toColourspace("b-w").threshold(128).png({ palette: false, colours: 2, ...o }).toBuffer();
    rows.push({ page: spec, pixels: width * height, kind: "png mono", setting: name, ...(await time(mono)) });
  }
}

const base = new Map();
// Ratios are against pdfraster's settings (src/worker/encode.ts): JPEG q85 4:2:0 with optimised Huffman
// tables; PNG level 6, adaptive filtering for 8-bit pages and none for 1-bit ones.
const ours = (r) => r.setting.endsWith("(pdfraster)") || (r.kind === "png rgb" && r.setting === "level 6 adaptive") || (r.kind === "png mono" && r.setting === "level 6 no adaptive");
for (const r of rows) if (ours(r)) base.set(`${r.page} ${r.kind}`, r);
console.log(`dpi ${dpi}, best of ${repeat} in CPU ms, sharp threads ${values.threads}, libvips ${sharp.versions.vips}`);
console.log(["page", "kind", "setting", "ms", "KB", "time x", "size x"].join("\t"));
for (const r of rows) {
  const b = base.get(`${r.page} ${r.kind}`);
  console.log([r.page, r.kind, r.setting, r.ms.toFixed(0), (r.bytes / 1024).toFixed(0), (r.ms / b.ms).toFixed(2), (r.bytes / b.bytes).toFixed(3)].join("\t"));
}
if (values.json) writeFileSync(values.json, JSON.stringify({ dpi, repeat, rows }, null, 2));
