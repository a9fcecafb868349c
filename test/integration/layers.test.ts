/**
 * Flat-colour layers (`--format auto`, PDF output) on a generated manual with blue links, red
 * headings, a tinted code box and a coloured plot: through the real CLI, each page is stored as
 * JBIG2 image masks painted in their colours on the page's background; poppler (pdfimages) decodes
 * every mask bit for bit to the layer that splitLayers finds in pdfraster's own PNG of the page, each
 * is painted in its layer's colour, and the page looks like today's JPEG (render-diff).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { expect, it } from "vitest";
import { NotLayerable, splitLayers } from "../../src/codecs/layers/split.js";
import { ROOT, runCli, scratch } from "../helpers/cli.js";
import { maskAgainstLayer } from "../helpers/masks.js";

const DPI = 300; // at 150 DPI splitLayers refuses these pages (4.5% of the ink far from every colour and blend: small anti-aliased text)
const PAGES = 2;

/** Page `page` of `pdf` alone, in qpdf's QDF form (content streams uncompressed). */
function pageContent(pdf: string, page: number): string {
  return execFileSync("qpdf", [pdf, "--pages", pdf, String(page), "--", "--qdf", "--object-streams=disable", "-"], { encoding: "latin1", maxBuffer: 64 * 1024 * 1024 });
}

it("--format auto stores a colour manual's pages as JBIG2 masks in their colours, bit for bit the split of the page's own PNG", async () => {
  const dir = scratch();
  const input = join(dir, "manual.pdf");
  execFileSync(process.execPath, [join(ROOT, "bench/documents.mjs"), "manual-colour", String(PAGES), input]);
  const common = ["--dpi", String(DPI), "--workers", "2"];
  const run = (output: string, ...flags: string[]) => runCli([input, join(dir, output), ...common, ...flags], { env: { TMPDIR: dir } });
  const [auto, png, jpeg] = await Promise.all([
    run("auto.pdf", "--format", "auto", "--progress", "json"),
    run("png/p-%d.png", "--format", "png", "--quiet"),
    run("jpeg.pdf", "--format", "jpeg", "--quiet"),
  ]);
  expect([auto.code, png.code, jpeg.code], auto.stderr + png.stderr).toEqual([0, 0, 0]);
  const done = auto.stderr.split("\n").filter((line) => line.includes('"page-done"')).map((line) => JSON.parse(line) as { format: string; encoding: string });
  expect(done.map((e) => e.format)).toEqual(Array(PAGES).fill("layers"));
  const pdf = join(dir, "auto.pdf");
  const raw = readFileSync(pdf, "latin1");
  expect(raw).toContain("/ImageMask true");
  expect(raw).not.toMatch(/\/DCTDecode|\/FlateDecode/); // nothing but masks (and no text)

  const list = execFileSync("pdfimages", ["-list", pdf], { encoding: "utf8" }).split("\n").slice(2).filter(Boolean).map((line) => line.trim().split(/\s+/));
  mkdirSync(join(dir, "masks"));
  execFileSync("pdfimages", ["-png", pdf, join(dir, "masks", "m")]);
  let image = 0;
  let colours = 0;
  for (let page = 1; page <= PAGES; page++) {
    const { data, info } = await sharp(join(dir, "png", `p-${page}.png`)).raw().toBuffer({ resolveWithObject: true });
    const split = splitLayers(data, info.width, info.height, info.channels as 3 | 4);
    if (split instanceof NotLayerable) throw new Error(`page ${page}: ${split.reason}`);
    const layers = (split).layers;
    colours += layers.length;
    const rows = list.filter((row) => Number(row[0]) === page);
    expect(rows.map((row) => [row[2], row[8]]), `page ${page}`).toEqual(layers.map(() => ["stencil", "jbig2"]));
    for (const layer of layers) {
      const { size, differences } = await maskAgainstLayer(join(dir, "masks", `m-${String(image++).padStart(3, "0")}.png`), layer);
      expect(size).toEqual([layer.width, layer.height]);
      expect(differences, `page ${page}, layer ${layer.colour.join(",")}`).toBe(0);
    }
    // Each mask is painted in its layer's colour (0..1 operands that read back to the same 8-bit value).
    const content = pageContent(pdf, page);
    const painted = [...content.matchAll(/q ([\d.]+) ([\d.]+) ([\d.]+) rg [^\n]* cm \/Im\d+ Do Q/g)].map((m) => m.slice(1, 4).map((v) => Math.round(Number(v) * 255)));
    expect(painted, `page ${page}`).toEqual(layers.map((layer) => [...layer.colour]));
  }
  expect(colours, "black text, blue links, red headings, the code box and the plot's lines").toBeGreaterThanOrEqual(PAGES * 3);
  const diff = execFileSync(join(ROOT, "../shared/tools/render-diff"), [join(dir, "jpeg.pdf"), pdf], { encoding: "utf8" });
  const worst = Number(/worst: ([\d.e-]+)/.exec(diff)![1]);
  expect(worst, diff).toBeLessThanOrEqual(0.05);
  expect(readFileSync(pdf).length * 10, "ten times smaller than JPEG at least").toBeLessThan(readFileSync(join(dir, "jpeg.pdf")).length);
});
