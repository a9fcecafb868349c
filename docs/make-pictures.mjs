#!/usr/bin/env node
// Regenerates the before/after pictures in docs/ from fixtures/sample.pdf with pdfraster's own
// image output: `npm run build && node docs/make-pictures.mjs`. Each picture is a row of small
// page images on a gray strip, written as a palette PNG of a few KB.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { rasterize } from "../dist/index.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const sample = join(root, "fixtures/sample.pdf");
const work = mkdtempSync(join(tmpdir(), "pdfraster-docs-"));
const PAPER = "#d5dce6"; // a tint, so that the paper around a fitted page shows
const GAP = 8;
let n = 0;

/** Renders one page with `options` through pdfraster's image output and returns the PNG path. */
async function render(options) {
  const dir = join(work, String(n++));
  await rasterize(sample, `${dir}/`, { dpi: 14, workers: 2, format: "png", ...options });
  return join(dir, readdirSync(dir)[0]);
}

/** Lays the images out in a row, bottom-aligned, and writes a small palette PNG. */
async function row(name, files) {
  const metas = await Promise.all(files.map((file) => sharp(file).metadata()));
  const height = Math.max(...metas.map((m) => m.height)) + 2 * GAP;
  const width = metas.reduce((sum, m) => sum + m.width + GAP, GAP);
  let x = GAP;
  const layers = files.map((file, i) => {
    const layer = { input: file, left: x, top: height - GAP - metas[i].height };
    x += metas[i].width + GAP;
    return layer;
  });
  const out = join(root, "docs", name);
  await sharp({ create: { width, height, channels: 3, background: "#9aa3ad" } })
    .composite(layers)
    .png({ palette: true, colours: 48, compressionLevel: 9, effort: 10 })
    .toFile(out);
  console.log(`wrote docs/${name}`);
}

try {
  // Page 1 (Letter portrait) on landscape A5: the input, then each --fit mode.
  const onA5 = { size: "A5", orientation: "landscape", background: PAPER, pages: "1" };
  await row("fit.png", [
    await render({ pages: "1" }),
    await render({ ...onA5, fit: "contain" }),
    await render({ ...onA5, fit: "cover" }),
    await render({ ...onA5, fit: "fill" }),
    await render({ ...onA5, fit: "none" }),
  ]);
  // Page 2 (A4 landscape) as it is, on portrait A4 with 15 mm margins, and page 3 (/Rotate 90) kept landscape.
  await row("layout.png", [
    await render({ pages: "2" }),
    await render({ pages: "2", size: "A4", orientation: "portrait", margin: "15mm", background: PAPER }),
    await render({ pages: "3", size: "A4", margin: "10mm,10mm,30mm,10mm", background: PAPER }),
  ]);
  // Page 1 in colour, gray, and 1-bit mono at two thresholds.
  await row("colour.png", [
    await render({ pages: "1", dpi: 20 }),
    await render({ pages: "1", dpi: 20, color: "gray" }),
    await render({ pages: "1", dpi: 20, color: "mono" }),
    await render({ pages: "1", dpi: 20, color: "mono", threshold: 200 }),
  ]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
