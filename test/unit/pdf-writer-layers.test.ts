/**
 * The writer's JBIG2 images and flat-colour layers: /ImageMask JBIG2 images painted in their colours on
 * the background, against a /JBIG2Globals stream written at close; poppler renders the page pixel for
 * pixel (a W x H pixel raster on a W x H point page at 72 DPI) as the layers say.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createBitmap, setPixel, type Bitmap } from "../../src/codecs/jbig2/bitmap.js";
import { embeddedStream, encodePage, extractSymbols, SymbolTable } from "../../src/codecs/jbig2/index.js";
import { PdfStreamWriter, type MaskLayer, type PageImage } from "../../src/pdf/writer.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-writer-layers-"));

/** A mask of `width` x `height` with a few copies of one small glyph (a ring) from (x0, y0) on. */
function glyphs(width: number, height: number, count: number): Bitmap {
  const bitmap = createBitmap(width, height);
  for (let k = 0; k < count; k++) {
    for (let y = 0; y < 7; y++) for (let x = 0; x < 5; x++) if (y === 0 || y === 6 || x === 0 || x === 4) setPixel(bitmap, 2 + k * 8 + x, 2 + y);
  }
  return bitmap;
}

describe("PdfStreamWriter: layers", () => {
  it("paints each JBIG2 mask in its colour on the background, sharing one globals stream; poppler renders exactly that", async () => {
    const [W, H] = [60, 40];
    const table = new SymbolTable();
    const layer = (bitmap: Bitmap, colour: [number, number, number], x: number, y: number): MaskLayer => {
      const symbols = extractSymbols(bitmap);
      const page = encodePage(symbols, table.admit(symbols));
      return { colour, x, y, width: bitmap.width, height: bitmap.height, data: embeddedStream(page), globals: page.usesGlobals };
    };
    const black = layer(glyphs(40, 12, 4), [0, 0, 0], 5, 3);
    const blue = layer(glyphs(30, 12, 3), [0, 0, 204], 20, 25); // the same glyph: from the globals
    expect([black.globals, blue.globals]).toEqual([true, true]);
    const image: PageImage = { kind: "layers", width: W, height: H, background: [250, 240, 200], layers: [black, blue] };
    const file = join(dir, "layers.pdf");
    const writer = await PdfStreamWriter.create(file);
    // A layer outside the raster is refused before anything is written; the writer stays usable.
    await expect(writer.addImagePage(W, H, { ...image, layers: [{ ...blue, x: 40 }] }, { x: 0, y: 0, width: W, height: H })).rejects.toThrow(/outside/);
    await writer.addImagePage(W, H, image, { x: 0, y: 0, width: W, height: H });
    await expect(writer.close()).rejects.toThrow(/globals/); // pages refer to it: it must be given
    await writer.abort();
    const file2 = join(dir, "layers2.pdf");
    const writer2 = await PdfStreamWriter.create(file2);
    await writer2.addImagePage(W, H, image, { x: 0, y: 0, width: W, height: H });
    await writer2.close(undefined, undefined, () => table.globalsStream());
    const raw = readFileSync(file2, "latin1");
    expect(raw.match(/\/ImageMask true/g)).toHaveLength(2);
    expect(new Set([...raw.matchAll(/\/JBIG2Globals (\d+) 0 R/g)].map((m) => m[1])).size).toBe(1);
    execFileSync("qpdf", ["--check", file2], { stdio: "ignore" });

    const ppm = execFileSync("pdftoppm", ["-r", "72", "-singlefile", file2]);
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.toString("latin1", 0, 30))!;
    expect([Number(header[1]), Number(header[2])]).toEqual([W, H]);
    const pixels = ppm.subarray(header[0].length);
    const expected = Buffer.alloc(W * H * 3);
    for (let i = 0; i < W * H; i++) expected.set([250, 240, 200], i * 3);
    for (const [l, bitmap] of [[black, glyphs(40, 12, 4)], [blue, glyphs(30, 12, 3)]] as const) {
      for (let y = 0; y < bitmap.height; y++) {
        for (let x = 0; x < bitmap.width; x++) if ((bitmap.data[y * bitmap.stride + (x >> 3)]! >> (7 - (x & 7))) & 1) expected.set(l.colour, ((l.y + y) * W + l.x + x) * 3);
      }
    }
    let differences = 0;
    for (let i = 0; i < expected.length; i++) if (Math.abs(expected[i]! - pixels[i]!) > 1) differences++;
    expect(differences).toBe(0);
  });

  it("paints a mixed page's JPEGs over their rectangles, scaled to them, under the masks: MuPDF renders each edge on its pixel", async () => {
    const [W, H] = [60, 40];
    const table = new SymbolTable();
    const symbols = extractSymbols(glyphs(40, 12, 4));
    const page = encodePage(symbols, table.admit(symbols));
    const black: MaskLayer = { colour: [0, 0, 0], x: 5, y: 26, width: 40, height: 12, data: embeddedStream(page), globals: page.usesGlobals };
    // A flat green JPEG at half the raster's resolution over a 22 x 14 rectangle at (31, 5).
    const jpeg = await sharp({ create: { width: 11, height: 7, channels: 3, background: { r: 40, g: 160, b: 80 } } }).jpeg({ quality: 95 }).toBuffer();
    const photo = { x: 31, y: 5, width: 22, height: 14, image: { kind: "jpeg" as const, data: jpeg, width: 11, height: 7, components: 3 as const } };
    const image: PageImage = { kind: "layers", width: W, height: H, background: [255, 255, 255], layers: [black], photos: [photo] };
    const file = join(dir, "mixed.pdf");
    const writer = await PdfStreamWriter.create(file);
    await expect(writer.addImagePage(W, H, { ...image, photos: [{ ...photo, x: 39 }] }, { x: 0, y: 0, width: W, height: H })).rejects.toThrow(/Photo of 22x14 at 39,5 lies outside/);
    await writer.addImagePage(W, H, image, { x: 0, y: 0, width: W, height: H });
    await writer.close(undefined, undefined, () => table.globalsStream());
    const raw = readFileSync(file, "latin1");
    expect(raw.indexOf("/DCTDecode")).toBeLessThan(raw.indexOf("/ImageMask true")); // the JPEG is painted first (/Im0)

    // MuPDF (poppler's Splash rounds a scaled image's right and bottom edges outward by a pixel: 23 x 15 here).
    const out = join(dir, "mixed.ppm");
    execFileSync("mutool", ["draw", "-q", "-r", "72", "-o", out, file]);
    const ppm = readFileSync(out);
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.toString("latin1", 0, 30))!;
    expect([Number(header[1]), Number(header[2])]).toEqual([W, H]);
    const pixels = ppm.subarray(header[0].length);
    let wrong = 0;
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= 31 && x < 53 && y >= 5 && y < 19;
        const want = inside ? [40, 160, 80] : [255, 255, 255];
        if (want.some((c, k) => Math.abs(c - pixels[(y * W + x) * 3 + k]!) > 4)) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });
});
