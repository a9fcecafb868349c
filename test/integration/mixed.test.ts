/**
 * Mixed raster content (`--format auto`, PDF output) on pages with photographs, shaded figures and
 * text: through the real CLI, each page is stored as JPEGs of its photographic regions under JBIG2
 * image masks painted in their colours. poppler (pdfimages) decodes every mask bit for bit to the
 * layers that splitMixed finds in pdfraster's own PNG of the page; each JPEG is drawn over exactly
 * its rectangle of page pixels (so the layers meet it pixel for pixel); the pages look like today's
 * JPEG (render-diff); a damaged mixed page file fails its page cleanly.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { splitMixed } from "../../src/worker/mixed.js";
import { corpus, ROOT, runCli, scratch } from "../helpers/cli.js";
import { maskAgainstLayer } from "../helpers/masks.js";

const DPI = 300; // mixed, as layers, only at print resolution

/** Page `page` of `pdf` alone, in qpdf's QDF form (content streams uncompressed). */
function pageContent(pdf: string, page: number): string {
  return execFileSync("qpdf", [pdf, "--pages", pdf, String(page), "--", "--qdf", "--object-streams=disable", "-"], { encoding: "latin1", maxBuffer: 64 * 1024 * 1024 });
}

const doneEvents = (stderr: string): Array<{ page: number; format: string; encoding: string }> =>
  stderr.split("\n").filter((line) => line.includes('"page-done"')).map((line) => JSON.parse(line) as { page: number; format: string; encoding: string });

/** render-diff's worst page. */
function worstDiff(a: string, b: string): { worst: number; text: string } {
  const text = execFileSync(join(ROOT, "../shared/tools/render-diff"), [a, b], { encoding: "utf8" });
  return { worst: Number(/worst: ([\d.e-]+)/.exec(text)![1]), text };
}

/**
 * Checks every page of `pdf` (rendered pages `pages`, pdfraster's PNGs of them in `png/p-N.png`): its
 * images are the photos' JPEGs then the layers' stencil masks, each mask bit for bit the layer, each
 * JPEG and mask drawn over its rectangle of page pixels.
 */
async function checkPages(dir: string, pdf: string, pages: number[]): Promise<void> {
  const list = execFileSync("pdfimages", ["-list", pdf], { encoding: "utf8" }).split("\n").slice(2).filter(Boolean).map((line) => line.trim().split(/\s+/));
  mkdirSync(join(dir, "masks"));
  execFileSync("pdfimages", ["-png", pdf, join(dir, "masks", "m")]);
  let image = 0;
  for (const [i, page] of pages.entries()) {
    const { data, info } = await sharp(join(dir, "png", `p-${page}.png`)).raw().toBuffer({ resolveWithObject: true });
    const split = splitMixed(data, info.width, info.height, info.channels as 3 | 4);
    if (!split) throw new Error(`page ${page}: not mixed`);
    const { regions, layered } = split;
    expect(regions.length, `page ${page}: a photograph or a shaded figure`).toBeGreaterThan(0);
    const rows = list.filter((row) => Number(row[0]) === i + 1);
    expect(rows.map((row) => [row[2], row[8]]), `page ${page}`).toEqual([...regions.map(() => ["image", "jpeg"]), ...layered.layers.map(() => ["stencil", "jbig2"])]);
    image += regions.length;
    for (const layer of layered.layers) {
      const { size, differences } = await maskAgainstLayer(join(dir, "masks", `m-${String(image++).padStart(3, "0")}.png`), layer);
      expect(size).toEqual([layer.width, layer.height]);
      expect(differences, `page ${page}, layer ${layer.colour.join(",")}`).toBe(0);
    }
    // Where each image is drawn, in page pixels (the raster fills the page: its pixels per point are
    // its size over the MediaBox's): the JPEGs over their regions, the masks over their layers'
    // boxes, in the layers' colours.
    const content = pageContent(pdf, i + 1);
    const media = /\/MediaBox \[\s*0\s+0\s+([\d.]+)\s+([\d.]+)/.exec(content)!;
    const [sx, sy] = [info.width / Number(media[1]), info.height / Number(media[2])];
    const draws = [...content.matchAll(/q (?:([\d.]+) ([\d.]+) ([\d.]+) rg )?([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm \/Im\d+ Do Q/g)].map((m) => {
      const [w, h, x, y] = m.slice(4, 8).map((v, k) => Number(v) * (k % 2 === 0 ? sx : sy)) as [number, number, number, number];
      const box = [x, info.height - y - h, w, h].map((v) => Math.round(v * 10) / 10);
      return { colour: m[1] === undefined ? undefined : m.slice(1, 4).map((v) => Math.round(Number(v) * 255)), box };
    });
    expect(draws, `page ${page}`).toEqual([
      ...regions.map((r) => ({ colour: undefined, box: [r.x, r.y, r.width, r.height] })),
      ...layered.layers.map((l) => ({ colour: [...l.colour], box: [l.x, l.y, l.width, l.height] })),
    ]);
  }
}

describe("mixed raster content", () => {
  it("stores a brochure's pages (a photograph, text) as a JPEG of the photograph under JBIG2 masks, bit for bit the page's split, ten times smaller than JPEG", async () => {
    const dir = scratch();
    const input = join(dir, "brochure.pdf");
    execFileSync(process.execPath, [join(ROOT, "bench/documents.mjs"), "brochure", "2", input]);
    const common = ["--dpi", String(DPI), "--workers", "2"];
    const run = (output: string, ...flags: string[]) => runCli([input, join(dir, output), ...common, ...flags], { env: { TMPDIR: dir } });
    const [auto, png, jpeg] = await Promise.all([
      run("auto.pdf", "--format", "auto", "--progress", "json"),
      run("png/p-%d.png", "--format", "png", "--quiet"),
      run("jpeg.pdf", "--format", "jpeg", "--quiet"),
    ]);
    expect([auto.code, png.code, jpeg.code], auto.stderr + png.stderr).toEqual([0, 0, 0]);
    expect(doneEvents(auto.stderr).map((e) => [e.encoding, e.format])).toEqual([["rgb-jpeg", "mixed"], ["rgb-jpeg", "mixed"]]);
    const pdf = join(dir, "auto.pdf");
    expect(readFileSync(pdf, "latin1")).not.toMatch(/\/FlateDecode|\/Font/); // JPEGs and masks, no text
    await checkPages(dir, pdf, [1, 2]);
    const { worst, text } = worstDiff(join(dir, "jpeg.pdf"), pdf);
    expect(worst, text).toBeLessThanOrEqual(0.04);
    expect(readFileSync(pdf).length * 10, "ten times smaller than JPEG at least").toBeLessThan(readFileSync(join(dir, "jpeg.pdf")).length);
  });

  it("stores tracemonkey's chart page as the chart in JPEG under the text's masks", async () => {
    const dir = scratch();
    const input = corpus("tracemonkey.pdf");
    const common = [input, "--dpi", String(DPI), "--workers", "2", "--pages", "11"];
    const [auto, png, jpeg] = await Promise.all([
      runCli([...common.slice(0, 1), join(dir, "auto.pdf"), ...common.slice(1), "--format", "auto", "--progress", "json"], { env: { TMPDIR: dir } }),
      runCli([...common.slice(0, 1), join(dir, "png/p-%d.png"), ...common.slice(1), "--format", "png", "--quiet"], { env: { TMPDIR: dir } }),
      runCli([...common.slice(0, 1), join(dir, "jpeg.pdf"), ...common.slice(1), "--format", "jpeg", "--quiet"], { env: { TMPDIR: dir } }),
    ]);
    expect([auto.code, png.code, jpeg.code], auto.stderr + png.stderr).toEqual([0, 0, 0]);
    expect(doneEvents(auto.stderr).map((e) => e.format)).toEqual(["mixed"]);
    await checkPages(dir, join(dir, "auto.pdf"), [11]);
    const { worst, text } = worstDiff(join(dir, "jpeg.pdf"), join(dir, "auto.pdf"));
    expect(worst, text).toBeLessThanOrEqual(0.04);
    expect(readFileSync(join(dir, "auto.pdf")).length * 4).toBeLessThan(readFileSync(join(dir, "jpeg.pdf")).length);
  });

  it("a damaged mixed page file from a worker fails its page cleanly (the same length, a damaged content); the other pages are written", async () => {
    const dir = scratch();
    const input = join(dir, "brochure.pdf");
    execFileSync(process.execPath, [join(ROOT, "bench/documents.mjs"), "brochure", "3", input]);
    const out = join(dir, "out.pdf");
    const result = await runCli([input, out, "--dpi", String(DPI), "--format", "auto", "--workers", "2", "--json", "--progress", "json", "--on-error", "blank"], {
      env: { TMPDIR: dir, PDFRASTER_FAULT: "damage@2" },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(doneEvents(result.stderr).map((e) => e.format)).toEqual(["mixed", "mixed", "mixed"]); // page 2's file was a mixed page file
    const report = JSON.parse(result.stdout) as { failed: Array<{ page: number; reason: string }>; outputPages: number };
    expect(report.failed).toEqual([{ page: 2, reason: expect.stringMatching(/mixed page file/) }]);
    expect(report.outputPages).toBe(3);
    const list = execFileSync("pdfimages", ["-list", out], { encoding: "utf8" }).split("\n").slice(2).filter(Boolean);
    expect(new Set(list.map((line) => Number(line.trim().split(/\s+/)[0])))).toEqual(new Set([1, 3])); // page 2 blank
    expect(readdirSync(dir).filter((name) => name !== "out.pdf" && name !== "brochure.pdf")).toEqual([]);
  });
});
