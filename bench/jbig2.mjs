#!/usr/bin/env node
// JBIG2 encoder, measured: bytes and CPU time per page against CCITT G4 and 1-bit PNG, on pages made
// 1-bit by poppler (`pdftoppm -mono`). Times are CPU time (process.cpuUsage), best of --repeat, so a
// shared machine inflates them less than wall time would. Run `npm run build` first.
//
//   node bench/jbig2.mjs [--dpi 300] [--repeat 3] [--pages 1-14] [file.pdf]   (default: tracemonkey.pdf)
//
// Columns per page: extract = extractSymbols (render process: components, classes, residual region);
// assemble = SymbolTable.admit + encodePage (assembler, with the document's global dictionary);
// generic = the whole page as one generic region; G4 = libtiff ppm2tiff -c g4 (strip bytes);
// PNG = sharp 1-bit gray PNG as src/worker/encode.ts writes it; JBIG2 = page stream, its own
// dictionary; JBIG2 doc = page stream with the globals, and the globals once in the total.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";

const DIST = new URL("../dist/codecs/jbig2/index.js", import.meta.url);
const CORPUS = fileURLToPath(new URL("../../shared/corpus/pdfjs/", import.meta.url));
const { bitmapFromPacked, extractSymbols, encodePage, embeddedStream, encodeGenericPage, SymbolTable } = await import(DIST.href);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dpi: { type: "string", default: "300" }, repeat: { type: "string", default: "3" }, pages: { type: "string" } },
});
const pdf = positionals[0] ?? join(CORPUS, "tracemonkey.pdf");
const repeat = Number(values.repeat);
const [first, last] = (values.pages ?? "1-14").split("-").map(Number);
const dir = mkdtempSync(join(tmpdir(), "pdfraster-bench-jbig2-"));

function readPbm(bytes) {
  const header = /^P4\s+(\d+)\s+(\d+)\s/.exec(bytes.toString("latin1", 0, 64));
  return bitmapFromPacked(Number(header[1]), Number(header[2]), new Uint8Array(bytes.subarray(header[0].length)));
}

/** Best CPU milliseconds of `repeat` runs, and the last result. */
function cpu(fn) {
  let best = Infinity;
  let result;
  for (let i = 0; i < repeat; i++) {
    const start = process.cpuUsage();
    result = fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return { ms: best, result };
}

function g4Bytes(pbmPath) {
  const tif = join(dir, "page.tif");
  execFileSync("ppm2tiff", ["-c", "g4", "-r", "1000000", pbmPath, tif]);
  const info = execFileSync("tiffinfo", ["-s", tif], { stdio: ["ignore", "pipe", "ignore"] }).toString();
  return Number(/0: \[\s*\d+,\s*(\d+)\]/.exec(info)[1]);
}

async function pngBytes(bitmap) {
  const gray = Buffer.alloc(bitmap.width * bitmap.height);
  for (let y = 0; y < bitmap.height; y++) {
    for (let x = 0; x < bitmap.width; x++) gray[y * bitmap.width + x] = (bitmap.data[y * bitmap.stride + (x >> 3)] >> (7 - (x & 7))) & 1 ? 0 : 255;
  }
  const png = await sharp(gray, { raw: { width: bitmap.width, height: bitmap.height, channels: 1 } })
    .png({ compressionLevel: 9, palette: false, colours: 2 })
    .toBuffer();
  return png.length;
}

const table = new SymbolTable();
const rows = [];
try {
  for (let page = first; page <= last; page++) {
    const pbmPath = join(dir, "page.pbm");
    execFileSync("sh", ["-c", `pdftoppm -mono -r ${values.dpi} -f ${page} -l ${page} "${pdf}" > "${pbmPath}"`]);
    const bitmap = readPbm(readFileSync(pbmPath));
    const extract = cpu(() => extractSymbols(bitmap));
    const symbols = extract.result;
    const own = embeddedStream(encodePage(symbols)).length;
    const assignment = table.admit(symbols);
    const assemble = cpu(() => embeddedStream(encodePage(symbols, assignment)));
    const generic = cpu(() => embeddedStream(encodeGenericPage(bitmap)));
    rows.push({
      page,
      classes: symbols.classes.length,
      instances: symbols.classes.reduce((n, k) => n + k.positions.length / 2, 0),
      extractMs: extract.ms,
      assembleMs: assemble.ms,
      genericMs: generic.ms,
      g4: g4Bytes(pbmPath),
      png: await pngBytes(bitmap),
      generic: generic.result.length,
      jbig2: own,
      jbig2Doc: assemble.result.length,
    });
    const r = rows.at(-1);
    console.log(
      `p${page}: ${r.classes} classes / ${r.instances} instances; extract ${r.extractMs.toFixed(0)} ms, assemble ${r.assembleMs.toFixed(0)} ms, generic ${r.genericMs.toFixed(0)} ms; ` +
        `G4 ${r.g4}, PNG ${r.png}, generic ${r.generic}, JBIG2 ${r.jbig2}, JBIG2 doc ${r.jbig2Doc} B`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const sum = (key) => rows.reduce((n, r) => n + r[key], 0);
const globals = table.globalsStream().length;
const median = (key) => rows.map((r) => r[key]).sort((a, b) => a - b)[rows.length >> 1];
console.log(`\n${rows.length} pages of ${pdf} at ${values.dpi} DPI (CPU ms, best of ${repeat}; median per page)`);
console.log(`extract ${median("extractMs").toFixed(0)} ms + assemble ${median("assembleMs").toFixed(0)} ms per page; generic only ${median("genericMs").toFixed(0)} ms`);
console.log(`| | bytes | vs G4 | vs PNG 1-bit |`);
console.log(`|---|---|---|---|`);
const line = (name, bytes) => console.log(`| ${name} | ${bytes} | ${(bytes / sum("g4")).toFixed(2)}x | ${(bytes / sum("png")).toFixed(2)}x |`);
line("CCITT G4", sum("g4"));
line("PNG 1-bit (sharp)", sum("png"));
line("JBIG2 generic region", sum("generic"));
line("JBIG2 symbols, dictionary per page", sum("jbig2"));
line(`JBIG2 symbols, document dictionary (globals ${globals} B, ${table.symbolCount} symbols)`, sum("jbig2Doc") + globals);

// Hostile pages of the same size: time stays bounded (the caps send them to one generic region).
const { width, height } = readPbm(
  execFileSync("pdftoppm", ["-mono", "-r", values.dpi, "-f", String(first), "-l", String(first), pdf], { maxBuffer: 1 << 28 }),
);
let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const hostile = {
  "noise 50%": (x, y) => random() < 0.5,
  "noise 5%": (x, y) => random() < 0.05,
  "dots every 2 px": (x, y) => x % 2 === 0 && y % 2 === 0,
  "dots every 4 px": (x, y) => x % 4 === 0 && y % 4 === 0,
  "dots every 12 px": (x, y) => x % 12 === 0 && y % 12 === 0,
};
console.log(`\nHostile ${width}x${height} pages (CPU ms, best of ${repeat}):`);
for (const [name, black] of Object.entries(hostile)) {
  const stride = (width + 7) >> 3;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (black(x, y)) data[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
  const bitmap = bitmapFromPacked(width, height, data);
  const rss = process.memoryUsage().rss;
  const run = cpu(() => embeddedStream(encodePage(extractSymbols(bitmap))));
  const symbols = extractSymbols(bitmap);
  console.log(
    `${name}: extract + encode ${run.ms.toFixed(0)} ms, ${run.result.length} B, ${symbols.classes.length} classes` +
      `${symbols.classes.length === 0 ? " (generic fallback)" : ""}, RSS +${((process.memoryUsage().rss - rss) / 2 ** 20).toFixed(0)} MB`,
  );
}
