/**
 * 1-bit pages of a PDF are stored as JBIG2 against one document dictionary (/JBIG2Decode with
 * /JBIG2Globals), or as CCITT G4 where that is smaller (noise): through the real CLI on real
 * documents, poppler (pdfimages), MuPDF and Ghostscript decode each page bit for bit to what
 * pdfraster writes for the same page as a 1-bit PNG file (image output, which stays PNG); a damaged
 * symbols file from a worker fails its page, not the run.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { corpus, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { noise, readPbm } from "../helpers/jbig2.js";
import type { Bitmap } from "../../src/codecs/jbig2/bitmap.js";

const INPUT = corpus("tracemonkey.pdf");
const PAGES = ["1", "3"]; // text pages that `auto` sends to 1-bit (colour.test.ts)

/** An image file's first channel as raw bytes (0 or 255 for 1-bit). */
const pixels = (file: string): Promise<Buffer> => sharp(file).extractChannel(0).raw().toBuffer();

/** Pixels of a 1-bit bitmap that differ from 8-bit gray `reference` (0 black, 255 white). */
function differences(bitmap: Bitmap, reference: Uint8Array, width: number): number {
  let count = 0;
  for (let y = 0; y < bitmap.height; y++) {
    for (let x = 0; x < bitmap.width; x++) {
      const black = (bitmap.data[y * bitmap.stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
      if ((black === 1) !== (reference[y * width + x] === 0)) count++;
    }
  }
  return count;
}

/** MuPDF and Ghostscript render page `page` of `pdf` at `dpi` as 1-bit (PBM). */
function renders(pdf: string, page: number, dpi: number, dir: string): Record<string, Bitmap> {
  const mu = join(dir, `mu-${page}.pbm`);
  const gs = join(dir, `gs-${page}.pbm`);
  execFileSync("mutool", ["draw", "-q", "-r", String(dpi), "-o", mu, pdf, String(page)]);
  execFileSync("gs", ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pbmraw", `-r${dpi}`, `-dFirstPage=${page}`, `-dLastPage=${page}`, `-sOutputFile=${gs}`, pdf]);
  return { mupdf: readPbm(readFileSync(mu)), ghostscript: readPbm(readFileSync(gs)) };
}

const doneEvents = (stderr: string): Array<{ format: string; bytes: number }> =>
  stderr.split("\n").filter((line) => line.includes('"page-done"')).map((line) => JSON.parse(line) as { format: string; bytes: number });

describe("1-bit pages of a PDF", () => {
  it("--color mono and --format auto store text pages as JBIG2 with one document dictionary that poppler, MuPDF and Ghostscript decode to pdfraster's own 1-bit PNG", async () => {
    const dir = scratch();
    const common = ["--dpi", "300", "--pages", PAGES.join(","), "--workers", "1"];
    const run = (output: string, ...flags: string[]) => runCli([INPUT, join(dir, output), ...common, ...flags], { env: { TMPDIR: dir } });
    const [mono, auto, png] = await Promise.all([
      run("mono.pdf", "--color", "mono", "--progress", "json"),
      run("auto.pdf", "--format", "auto", "--progress", "json"),
      run("png/p-%d.png", "--color", "mono", "--quiet"),
    ]);
    expect([mono.code, auto.code, png.code, png.stderr]).toEqual([0, 0, 0, ""]);
    expect(readdirSync(join(dir, "png")).sort()).toEqual(["p-1.png", "p-3.png"]);
    const references = await Promise.all(PAGES.map((page) => pixels(join(dir, "png", `p-${page}.png`))));
    for (const reference of references) expect(reference.filter((v) => v === 0).length, "the page has text").toBeGreaterThan(10_000);

    for (const [name, result] of [["mono", mono], ["auto", auto]] as const) {
      const done = doneEvents(result.stderr);
      expect(done.map((e) => e.format), name).toEqual(["jbig2", "jbig2"]);
      const pdf = join(dir, `${name}.pdf`);
      const list = execFileSync("pdfimages", ["-list", pdf], { encoding: "utf8" }).split("\n").slice(2).filter(Boolean);
      expect(list.map((line) => line.trim().split(/\s+/).slice(3, 9).join(" ")), name).toEqual(PAGES.map(() => "2550 3300 gray 1 1 jbig2"));
      // One globals stream, referred to by both pages: the second page reuses the first one's glyphs.
      const raw = readFileSync(pdf, "latin1");
      const globals = [...raw.matchAll(/\/JBIG2Globals (\d+) 0 R/g)].map((m) => m[1]);
      expect(globals, name).toHaveLength(2);
      expect(new Set(globals).size, name).toBe(1);
      expect(done[1]!.bytes, "page-local size (bytes in page-done) is an upper bound").toBeGreaterThan(0);
      mkdirSync(join(dir, name));
      execFileSync("pdfimages", ["-png", pdf, join(dir, name, "i")]);
      for (const [i, page] of PAGES.entries()) {
        const decoded = await pixels(join(dir, name, `i-00${i}.png`));
        expect(decoded.length).toBe(2550 * 3300);
        expect(decoded.equals(references[i]!), `${name} page ${page}, poppler`).toBe(true);
        for (const [decoder, bitmap] of Object.entries(renders(pdf, i + 1, 300, join(dir, name)))) {
          expect([bitmap.width, bitmap.height]).toEqual([2550, 3300]);
          expect(differences(bitmap, references[i]!, 2550), `${name} page ${page}, ${decoder}`).toBe(0);
        }
      }
    }
    // The document dictionary: the two pages are smaller together than each coded on its own (page-done bytes).
    const monoDone = doneEvents(mono.stderr);
    const images = execFileSync("pdfimages", ["-list", join(dir, "mono.pdf")], { encoding: "utf8" });
    expect(images).toContain("jbig2");
    expect(readFileSync(join(dir, "mono.pdf")).length).toBeLessThan(monoDone[0]!.bytes + monoDone[1]!.bytes + 4000);
  });

  it("a page in bands: each band a JBIG2 image against the one dictionary; stacked, they decode to the page's 1-bit PNG", async () => {
    const dir = scratch();
    const common = ["--dpi", "300", "--pages", "1", "--color", "mono", "--workers", "2"];
    // 2550 x 3300 pixels in bands of at most 2,000,000 pixels: 5 bands of 784 rows (the last shorter).
    const [banded, png] = await Promise.all([
      runCli([INPUT, join(dir, "banded.pdf"), ...common, "--band-pixels", "2000000", "--progress", "json"], { env: { TMPDIR: dir } }),
      runCli([INPUT, join(dir, "p-%d.png"), ...common, "--quiet"], { env: { TMPDIR: dir } }),
    ]);
    expect([banded.code, png.code], banded.stderr).toEqual([0, 0]);
    expect(doneEvents(banded.stderr).map((e) => e.format)).toEqual(["jbig2"]);
    const pdf = join(dir, "banded.pdf");
    const list = execFileSync("pdfimages", ["-list", pdf], { encoding: "utf8" }).split("\n").slice(2).filter(Boolean).map((line) => line.trim().split(/\s+/));
    expect(list.length).toBeGreaterThan(1);
    expect(list.map((row) => row[8])).toEqual(list.map(() => "jbig2"));
    expect(list.reduce((sum, row) => sum + Number(row[4]), 0)).toBe(3300);
    execFileSync("pdfimages", ["-png", pdf, join(dir, "b")]);
    const bands = await Promise.all(list.map((_, i) => pixels(join(dir, `b-${String(i).padStart(3, "0")}.png`))));
    expect(Buffer.concat(bands).equals(await pixels(join(dir, "p-1.png")))).toBe(true);
  });

  it("a page of noise stays CCITT G4 (or PNG), smaller there than JBIG2, and decodes bit for bit", async () => {
    const dir = scratch();
    // A 1-bit noise image as a PDF page at 100 DPI, rendered at 100 DPI: the same noise, pixel for pixel.
    const image = noise(800, 1000, 0.3, 7);
    await sharp(gray(image), { raw: { width: 800, height: 1000, channels: 1 } }).png().toFile(join(dir, "noise.png"));
    execFileSync("img2pdf", ["--imgsize", "100dpi", "-o", join(dir, "noise.pdf"), join(dir, "noise.png")]);
    const common = ["--dpi", "100", "--color", "mono", "--workers", "1"];
    const [pdf, png] = await Promise.all([
      runCli([join(dir, "noise.pdf"), join(dir, "out.pdf"), ...common, "--progress", "json"], { env: { TMPDIR: dir } }),
      runCli([join(dir, "noise.pdf"), join(dir, "ref-%d.png"), ...common, "--quiet"], { env: { TMPDIR: dir } }),
    ]);
    expect([pdf.code, png.code], pdf.stderr).toEqual([0, 0]);
    expect(doneEvents(pdf.stderr).map((e) => e.format)).not.toContain("jbig2");
    expect(readFileSync(join(dir, "out.pdf"), "latin1")).not.toContain("/JBIG2Decode");
    const reference = await pixels(join(dir, "ref-1.png"));
    expect(differences(image, reference, 800), "the render is the noise itself").toBe(0);
    for (const [decoder, bitmap] of Object.entries(renders(join(dir, "out.pdf"), 1, 100, dir))) {
      expect(differences(bitmap, reference, 800), decoder).toBe(0);
    }
  });

  it("a damaged symbols file from a worker fails its page cleanly (the same length, a damaged content); the other pages are written", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([SAMPLE, out, "--dpi", "150", "--color", "mono", "--workers", "2", "--json", "--progress", "json", "--on-error", "blank"], {
      env: { TMPDIR: dir, PDFRASTER_FAULT: "damage@3" },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(doneEvents(result.stderr).map((e) => e.format)).toEqual(["jbig2", "jbig2", "jbig2", "jbig2", "jbig2"]); // page 3's file was a symbols file
    const report = JSON.parse(result.stdout) as { failed: Array<{ page: number; reason: string }>; outputPages: number; pageEncodings: Array<{ page: number }> };
    expect(report.failed).toEqual([{ page: 3, reason: expect.stringMatching(/page symbols file/) }]);
    expect(report.pageEncodings.map((e) => e.page)).toEqual([1, 2, 4, 5]); // the failed page is not counted
    expect(report.outputPages).toBe(5);
    const list = execFileSync("pdfimages", ["-list", out], { encoding: "utf8" }).split("\n").slice(2).filter(Boolean);
    expect(list.map((line) => Number(line.trim().split(/\s+/)[0]))).toEqual([1, 2, 4, 5]); // page 3 blank
    expect(readdirSync(dir).filter((name) => name !== "out.pdf")).toEqual([]);
  });
});

describe("the report", () => {
  it("lists every page's encoding and bytes (as page-done says) and the summary line shows the output against the input", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([INPUT, out, "--dpi", "300", "--pages", PAGES.join(","), "--format", "auto", "--workers", "2", "--json", "--progress", "json"], { env: { TMPDIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { inputBytes: number; outputBytes: number; pageEncodings: Array<{ page: number; encoding: string; format: string; bytes: number }> };
    expect(report.inputBytes).toBe(readFileSync(INPUT).length);
    const done = result.stderr.split("\n").filter((line) => line.includes('"page-done"')).map((line) => JSON.parse(line) as { page: number; encoding: string; format: string; bytes: number });
    expect(report.pageEncodings).toEqual(done.sort((a, b) => a.page - b.page).map(({ page, encoding, format, bytes }) => ({ page, encoding, format, bytes })));
    expect(report.pageEncodings.map((e) => [e.page, e.encoding, e.format])).toEqual([[1, "mono", "jbig2"], [3, "mono", "jbig2"]]);
    // Page-local JBIG2 sizes: an upper bound of the pages' share of the output (the dictionary is shared).
    const pages = report.pageEncodings.reduce((sum, e) => sum + e.bytes, 0);
    expect(report.outputBytes).toBeLessThan(pages + 3000);
    expect(pages).toBeGreaterThan(report.outputBytes / 2);

    const human = await runCli([INPUT, join(dir, "human.pdf"), "--dpi", "100", "--pages", "1", "--format", "auto"], { env: { TMPDIR: dir } });
    const ratio = (readFileSync(join(dir, "human.pdf")).length / readFileSync(INPUT).length).toPrecision(2); // one page of fourteen: under 1x
    expect(human.stderr).toMatch(new RegExp(`human\\.pdf \\([\\d.]+ KB, ${ratio.replace(".", "\\.")}x the input\\)`));
  });
});

/** A bitmap as 8-bit gray pixels (0 black, 255 white). */
function gray(bitmap: Bitmap): Buffer {
  const body = Buffer.alloc(bitmap.width * bitmap.height);
  for (let y = 0; y < bitmap.height; y++) {
    for (let x = 0; x < bitmap.width; x++) body[y * bitmap.width + x] = (bitmap.data[y * bitmap.stride + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 0 : 255;
  }
  return body;
}
