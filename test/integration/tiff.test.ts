/**
 * TIFF output through the real CLI: read back by libtiff's tiffinfo/tiffdump (pages, sizes,
 * resolution, compression, photometric) and decoded page by page by ImageMagick, against the PNG
 * output of the same pages. Also the resolution of PNG and JPEG image files.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { corpus, leftoverTempDirs, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { HAS_TIFF_TOOLS, imageDifference, tiffinfo } from "../helpers/tiff.js";

// Each test runs the CLI several times: on a busy 2-core machine that takes minutes.
describe.skipIf(!HAS_TIFF_TOOLS)("TIFF output", { timeout: 300_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = scratch("pdfraster-tiff-");
  });
  const run = async (args: string[], code = 0): Promise<string> => {
    const result = await runCli([...args, "--workers", "2", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.code, result.stderr).toBe(code);
    expect(leftoverTempDirs(dir)).toEqual([]);
    return result.stderr;
  };
  /** The PNG output of the same pages, one file per page, in page order. */
  const pngPages = async (name: string, args: string[]): Promise<string[]> => {
    const folder = join(dir, name);
    await run([args[0]!, `${folder}/p-%02d.png`, ...args.slice(1), "--format", "png"]);
    return readdirSync(folder).sort().map((file) => join(folder, file));
  };
  const noLeftovers = (): void => expect(readdirSync(dir).filter((name) => name.includes("pdfraster-tmp"))).toEqual([]);

  it("out.tiff: a page per IFD in page order, each with its own size and resolution, lossless: ImageMagick decodes the PNG output's pixels", async () => {
    const out = join(dir, "sample.tiff");
    await run([SAMPLE, out, "--dpi", "50"]);
    const pages = tiffinfo(out);
    const pngs = await pngPages("sample-png", [SAMPLE, "--dpi", "50"]);
    expect(pages).toHaveLength(5);
    for (const [i, page] of pages.entries()) {
      const png = await sharp(pngs[i]).metadata();
      expect([page.width, page.height], `page ${i + 1}`).toEqual([png.width, png.height]);
      expect(page).toMatchObject({ resolution: "50, 50 pixels/inch", compression: "AdobeDeflate", photometric: "RGB color", bitsPerSample: 8, samplesPerPixel: 3 });
      expect(page.subfileType).toMatch(/multi-page document/);
      expect(imageDifference(`${out}[${i}]`, pngs[i]!).differing, `page ${i + 1}`).toBe(0);
    }
    // The pages differ in size (Letter, A4 landscape, rotated, a small CropBox): each IFD has its own.
    expect(new Set(pages.map((p) => `${p.width}x${p.height}`)).size).toBe(5);
    // tiffdump reads every IFD and its tags too: five directories, XResolution 50/1 and ResolutionUnit inch (2).
    const dump = execFileSync("tiffdump", [out], { encoding: "utf8" });
    expect(dump.match(/^Directory \d+:/gm)).toHaveLength(5);
    expect(dump.match(/XResolution \(282\) RATIONAL \(5\) 1<50>/g)).toHaveLength(5);
    expect(dump.match(/ResolutionUnit \(296\) SHORT \(3\) 1<2>/g)).toHaveLength(5);
    noLeftovers();
  });

  it("compression by colour and format: gray Deflate, 1-bit CCITT Group 4 (min-is-white), JPEG-in-TIFF with --format jpeg", async () => {
    const cases: Array<{ name: string; args: string[]; compression: string; photometric: string; bits: number; lossless: boolean }> = [
      { name: "gray", args: ["--dpi", "40", "--color", "gray"], compression: "AdobeDeflate", photometric: "min-is-black", bits: 8, lossless: true },
      { name: "mono", args: ["--dpi", "100", "--color", "mono"], compression: "CCITT Group 4", photometric: "min-is-white", bits: 1, lossless: true },
      { name: "jpeg", args: ["--dpi", "40", "--format", "jpeg"], compression: "JPEG", photometric: "YCbCr", bits: 8, lossless: false },
      { name: "gray-jpeg", args: ["--dpi", "40", "--color", "gray", "--format", "jpeg"], compression: "JPEG", photometric: "min-is-black", bits: 8, lossless: false },
    ];
    for (const c of cases) {
      const out = join(dir, `${c.name}.tif`);
      await run([SAMPLE, out, ...c.args, "--pages", "1,2,5"]);
      const pngs = await pngPages(`${c.name}-png`, [SAMPLE, ...c.args.filter((a) => a !== "jpeg" && a !== "--format"), "--pages", "1,2,5"]);
      const pages = tiffinfo(out);
      expect(pages, c.name).toHaveLength(3);
      for (const [i, page] of pages.entries()) {
        expect(page, `${c.name} page ${i + 1}`).toMatchObject({ compression: c.compression, photometric: c.photometric, bitsPerSample: c.bits });
        const { differing, rmse } = imageDifference(`${out}[${i}]`, pngs[i]!);
        if (c.lossless) expect(differing, `${c.name} page ${i + 1}`).toBe(0);
        else expect(rmse, `${c.name} page ${i + 1}`).toBeLessThan(0.03);
      }
    }
    // Every page decodes completely with libtiff itself (tiffinfo -D reads the data).
    execFileSync("tiffinfo", ["-D", join(dir, "mono.tif")], { stdio: "ignore" });
  });

  it("--format auto chooses per page as for the image files: 1-bit pages in Group 4, gray and lossless colour in Deflate, JPEG as JPEG", async () => {
    const args = ["--format", "auto", "--dpi", "150"];
    const out = join(dir, "auto.tiff");
    await run([SAMPLE, out, ...args]);
    const folder = join(dir, "auto-files");
    await run([SAMPLE, `${folder}/`, ...args]);
    const files = readdirSync(folder).sort();
    const pages = tiffinfo(out);
    expect(pages).toHaveLength(5);
    const kinds = new Set<string>();
    for (const [i, page] of pages.entries()) {
      const file = join(folder, files[i]!);
      if (file.endsWith(".jpg")) {
        expect(page, files[i]).toMatchObject({ compression: "JPEG" });
      } else {
        expect(page.compression, files[i]).toBe(page.bitsPerSample === 1 ? "CCITT Group 4" : "AdobeDeflate");
        expect(imageDifference(`${out}[${i}]`, file).differing, files[i]).toBe(0);
      }
      kinds.add(page.compression);
    }
    expect(kinds).toEqual(new Set(["JPEG", "AdobeDeflate"]));
    const mono = join(dir, "auto-300.tiff");
    await run([corpus("tracemonkey.pdf"), mono, "--dpi", "300", "--format", "auto", "--pages", "1"]);
    expect(tiffinfo(mono)[0]).toMatchObject({ compression: "CCITT Group 4", bitsPerSample: 1, resolution: "300, 300 pixels/inch" });
  });

  it("banded pages and paper with margins: the same pages as unbanded, at the sheet's size", async () => {
    const whole = join(dir, "whole.tiff");
    const banded = join(dir, "banded.tiff");
    const args = ["--dpi", "60", "--size", "A5", "--margin", "10mm", "--background", "#d5dce6"];
    await run([SAMPLE, whole, ...args]);
    await run([SAMPLE, banded, ...args, "--band-pixels", "20000"]);
    const pages = tiffinfo(banded);
    expect(pages).toHaveLength(5);
    for (const [i, page] of pages.entries()) {
      // A5 (148 x 210 mm) at 60 DPI: 350x496 portrait or 496x350 landscape.
      expect([Math.min(page.width, page.height), Math.max(page.width, page.height)]).toEqual([350, 496]);
      // pdf.js rounds a band's anti-aliased edges a few levels differently (README, Limitations).
      expect(imageDifference(`${banded}[${i}]`, `${whole}[${i}]`).rmse, `page ${i + 1}`).toBeLessThan(0.01);
    }
  });

  it("one TIFF per page: out/page-%03d.tif and out/ --format tiff; --format jpeg makes them JPEG-in-TIFF", async () => {
    const multi = join(dir, "per-page.tiff");
    await run([SAMPLE, multi, "--dpi", "30"]);
    const pattern = join(dir, "pattern");
    await run([SAMPLE, `${pattern}/page-%03d.tif`, "--dpi", "30"]);
    expect(readdirSync(pattern).sort()).toEqual(["page-001.tif", "page-002.tif", "page-003.tif", "page-004.tif", "page-005.tif"]);
    for (let i = 0; i < 5; i++) {
      const file = join(pattern, `page-00${i + 1}.tif`);
      expect(tiffinfo(file)).toHaveLength(1);
      expect(tiffinfo(file)[0]).toMatchObject({ compression: "AdobeDeflate", resolution: "30, 30 pixels/inch" });
      expect(imageDifference(file, `${multi}[${i}]`).differing).toBe(0);
    }
    const folder = join(dir, "folder");
    await run([SAMPLE, `${folder}/`, "--dpi", "30", "--format", "tiff", "--pages", "2,4"]);
    expect(readdirSync(folder).sort()).toEqual(["sample-2.tif", "sample-4.tif"]);
    const jpeg = join(dir, "jpeg-pages");
    await run([SAMPLE, `${jpeg}/p%d.tiff`, "--dpi", "30", "--format", "jpeg", "--pages", "1"]);
    expect(tiffinfo(join(jpeg, "p1.tiff"))[0]).toMatchObject({ compression: "JPEG" });
  });

  it("all or nothing: a failed page leaves no TIFF; --on-error blank and skip write what they say", async () => {
    // At 50 DPI only page 4 (its 300x400 pt CropBox: 208x278 pixels) fits in 60000 pixels.
    const out = join(dir, "failing.tiff");
    const stderr = await run([SAMPLE, out, "--dpi", "50", "--max-pixels", "60000"], 3);
    expect(stderr).toMatch(/exceeds --max-pixels/);
    expect(existsSync(out)).toBe(false);
    noLeftovers();
    const blank = join(dir, "blank.tiff");
    await run([SAMPLE, blank, "--dpi", "50", "--max-pixels", "60000", "--on-error", "blank"], 3);
    const pages = tiffinfo(blank);
    expect(pages.map((p) => `${p.width}x${p.height}`)).toEqual(["425x550", "585x413", "550x425", "208x278", "413x585"]);
    const stats = await sharp(blank, { page: 0 }).stats();
    expect(stats.channels.every((c) => c.min === 255 && c.max === 255)).toBe(true); // a white sheet
    const skip = join(dir, "skip.tiff");
    await run([SAMPLE, skip, "--dpi", "50", "--max-pixels", "60000", "--on-error", "skip"], 3);
    expect(tiffinfo(skip).map((p) => `${p.width}x${p.height}`)).toEqual(["208x278"]);
    noLeftovers();
  });

  it("refuses what TIFF cannot carry, naming the option", async () => {
    for (const [args, message] of [
      [[join(dir, "x.tiff"), "--keep-text"], /keep options .* are for PDF output/],
      [[join(dir, "x.tiff"), "--pdfa", "1b"], /`pdfa` is for PDF output/],
      [[join(dir, "x.pdf"), "--format", "tiff"], /`format` tiff writes TIFF files/],
      [[join(dir, "p-%d.png"), "--format", "tiff"], /extension asks for png, but `format` is tiff/],
    ] as const) {
      const result = await runCli([SAMPLE, ...args, "--quiet"]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it("PNG and JPEG files say the DPI they were rendered at", async () => {
    const png = join(dir, "res-png");
    const jpg = join(dir, "res-jpg");
    await run([SAMPLE, `${png}/p%d.png`, "--dpi", "150", "--pages", "1"]);
    await run([SAMPLE, `${jpg}/p%d.jpg`, "--dpi", "72", "--pages", "1"]);
    // ImageMagick reads the PNG's pHYs (pixels per cm) and the JPEG's JFIF density.
    const density = (file: string): string => execFileSync("identify", ["-units", "PixelsPerInch", "-format", "%x %y", file], { encoding: "utf8" });
    const [x, y] = density(join(png, "p1.png")).split(" ").map(Number);
    expect(x).toBeCloseTo(150, 0);
    expect(y).toBeCloseTo(150, 0);
    expect(density(join(jpg, "p1.jpg"))).toBe("72 72");
    expect((await sharp(readFileSync(join(png, "p1.png"))).metadata()).density).toBeCloseTo(150, 0);
  });
});
