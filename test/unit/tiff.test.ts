import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { readTiffPage } from "../../src/tiff/page.js";
import { TiffStreamWriter } from "../../src/tiff/writer.js";
import { settledArrayBuffers } from "../helpers/memory.js";
import { hasTools } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-tiff-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasTiffinfo = hasTools("tiffinfo");

/** A w x h RGB gradient, different for each `seed`. */
function pixels(w: number, h: number, seed: number): Buffer {
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    data[3 * i] = (i % w) * 7 + seed;
    data[3 * i + 1] = Math.floor(i / w) * 5 + seed * 3;
    data[3 * i + 2] = seed * 40;
  }
  return data;
}

const raw = (w: number, h: number, seed: number) => sharp(pixels(w, h, seed), { raw: { width: w, height: h, channels: 3 } });

async function writeTiff(path: string, pages: Buffer[]): Promise<number> {
  const writer = await TiffStreamWriter.create(path);
  for (const page of pages) await writer.addPage(readTiffPage(page));
  return writer.close();
}

describe("TiffStreamWriter", () => {
  it("gathers single-page TIFFs of different sizes, compressions and resolutions into pages in order, pixels unchanged", async () => {
    const sources = [
      await raw(40, 30, 1).tiff({ compression: "deflate", predictor: "horizontal", xres: 300 / 25.4, yres: 300 / 25.4 }).toBuffer(),
      await raw(17, 61, 2).toColourspace("b-w").threshold(128).tiff({ compression: "ccittfax4", bitdepth: 1, miniswhite: true, xres: 200 / 25.4, yres: 100 / 25.4 }).toBuffer(),
      await raw(300, 700, 3).tiff({ compression: "jpeg", quality: 90 }).toBuffer(), // several strips (256 rows each)
      await raw(5, 3, 4).toColourspace("b-w").tiff({ compression: "lzw" }).toBuffer(),
    ];
    const path = join(dir, "pages.tif");
    const bytes = await writeTiff(path, sources);
    expect(bytes).toBe(readFileSync(path).length);
    for (const [i, source] of sources.entries()) {
      const [got, want] = await Promise.all([sharp(path, { page: i }).raw().toBuffer({ resolveWithObject: true }), sharp(source).raw().toBuffer({ resolveWithObject: true })]);
      expect(got.info, `page ${i}`).toEqual(want.info);
      expect(got.data.equals(want.data), `page ${i}`).toBe(true);
    }
    expect((await sharp(path).metadata()).pages).toBe(4);
    if (hasTiffinfo) {
      const info = execFileSync("tiffinfo", ["-D", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(info.match(/TIFF Directory/g)).toHaveLength(4);
      expect(info).toContain("Resolution: 200, 100 pixels/inch");
      expect(info.match(/Subfile Type: multi-page document/g)).toHaveLength(4);
    }
  });

  it.skipIf(!hasTiffinfo)("reads big-endian pages (tiffcp -B) and writes them little-endian", async () => {
    const source = join(dir, "le.tif");
    writeFileSync(source, await raw(9, 7, 5).tiff({ compression: "deflate" }).toBuffer());
    const big = join(dir, "be.tif");
    execFileSync("tiffcp", ["-B", source, big]);
    expect(readFileSync(big).toString("latin1", 0, 2)).toBe("MM");
    const path = join(dir, "from-be.tif");
    await writeTiff(path, [readFileSync(big)]);
    const [got, want] = await Promise.all([sharp(path).raw().toBuffer(), sharp(source).raw().toBuffer()]);
    expect(got.equals(want)).toBe(true);
  });

  it("refuses what it cannot copy, with a reason, and a TIFF with no pages", async () => {
    expect(() => readTiffPage(Buffer.from("%PDF-1.4"))).toThrow(/not a TIFF/);
    expect(() => readTiffPage(Buffer.from("II*\0\x08\0\0\0", "latin1"))).toThrow(/IFD|past the end/);
    const tiled = await raw(64, 64, 1).tiff({ tile: true, tileWidth: 16, tileHeight: 16 }).toBuffer();
    expect(() => readTiffPage(tiled)).toThrow(/tiled/);
    const bigtiff = await raw(8, 8, 1).tiff({ compression: "deflate", bigtiff: true }).toBuffer();
    expect(() => readTiffPage(bigtiff)).toThrow(/BigTIFF/);
    const good = await raw(8, 8, 1).tiff({ compression: "deflate" }).toBuffer();
    expect(() => readTiffPage(good.subarray(0, good.length - 40))).toThrow(/past the end/);
    const writer = await TiffStreamWriter.create(join(dir, "empty.tif"));
    await expect(writer.close()).rejects.toThrow(/no pages/);
  });

  it("does not keep page data: memory stays flat over 300 pages of 720 KB", async () => {
    const data = await raw(600, 400, 9).tiff({ compression: "none" }).toBuffer();
    const writer = await TiffStreamWriter.create(join(dir, "long.tif"));
    const before = await settledArrayBuffers();
    // A fresh copy per page, as pages come from files: a writer that kept them would grow by each.
    for (let i = 0; i < 300; i++) await writer.addPage(readTiffPage(Buffer.from(data)));
    const growth = (await settledArrayBuffers()) - before;
    expect(await writer.close()).toBeGreaterThan(300 * 720_000);
    expect(growth).toBeLessThan(8 * 2 ** 20); // retaining the pages would be 216 MB
  });
});

