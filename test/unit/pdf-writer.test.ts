import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, type PDFObject, type PDFPage } from "pdf-lib";
import sharp, { type Sharp } from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpegInfo, parsePngForPdf, readPngForPdf } from "../../src/pdf/png.js";
import { PdfStreamWriter, type PageImage } from "../../src/pdf/writer.js";
import { settledArrayBuffers } from "../helpers/memory.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tmp = (ext: string): string => join(dir, `f${++fileNo}.${ext}`);

const has = (tool: string): boolean => {
  try {
    execFileSync("which", [tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const hasQpdf = has("qpdf");
const hasPdftoppm = has("pdftoppm");

const solid = (w: number, h: number, r: number, g: number, b: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } });
/** A gray image whose left half is black and right half white, for 1-bit output. */
const halves = (w: number, h: number) =>
  sharp(Buffer.from(Array.from({ length: w * h }, (_, i) => (i % w < w / 2 ? 0 : 255))), { raw: { width: w, height: h, channels: 1 } });
// How sharp writes 1-bit PNGs: gray (colour type 0) only with an explicit b-w colourspace and
// palette:false; otherwise `colours: 2` gives a quantised 2-entry palette (colour type 3).
const bilevelGray = (w: number, h: number) => halves(w, h).toColourspace("b-w").png({ colours: 2, palette: false });
const bilevelPalette = (w: number, h: number) => halves(w, h).png({ colours: 2 });

async function jpeg(pipeline: Sharp): Promise<Extract<PageImage, { kind: "jpeg" }>> {
  const data = await pipeline.jpeg({ quality: 90 }).toBuffer();
  const { width, height, components } = jpegInfo(data);
  if (components === 4) throw new Error("CMYK not expected here");
  return { kind: "jpeg", data, width, height, components };
}
const png = async (pipeline: Sharp) => parsePngForPdf(await pipeline.toBuffer());

const lookupName = (obj: PDFObject | undefined): string | undefined => obj?.toString();
const numberOf = (dict: PDFDict, key: string): number | undefined => dict.lookupMaybe(PDFName.of(key), PDFNumber)?.asNumber();

function pageImage(page: PDFPage): PDFRawStream {
  const image = page.node.Resources()?.lookup(PDFName.of("XObject"), PDFDict).lookup(PDFName.of("Im0"));
  if (!(image instanceof PDFRawStream)) throw new Error("page has no /Im0 image stream");
  return image;
}
const contentOf = (page: PDFPage): string => (page.node.Contents() as PDFRawStream).getContentsString();
const mediaBox = (page: PDFPage): number[] => page.node.MediaBox().asArray().map((n) => (n as PDFNumber).asNumber());

describe("PdfStreamWriter", () => {
  const title = "Ünïcødé — 文字 🎉 (paren) \\ back";
  let path = "";
  let size = 0;
  let bytesWritten = 0;
  let images: PageImage[] = [];

  beforeAll(async () => {
    images = [
      await jpeg(solid(64, 48, 255, 0, 0)),
      await jpeg(solid(40, 30, 128, 128, 128).toColourspace("b-w")),
      await png(solid(30, 20, 0, 200, 0).png({ palette: false })),
      await png(solid(20, 20, 128, 128, 128).toColourspace("b-w").png()),
      await png(bilevelGray(33, 10)),
      await png(bilevelPalette(33, 10)),
    ];
    path = tmp("pdf");
    const w = await PdfStreamWriter.create(path);
    await w.addImagePage(595.28, 841.89, images[0]!, { x: 97.64, y: 200, width: 400, height: 300 });
    await w.addImagePage(792, 612, images[1]!, { x: 0, y: 0, width: 792, height: 594 }, [1, 1, 0]);
    await w.addImagePage(300, 200, images[2]!, { x: -10, y: -5.123456, width: 320, height: 210 });
    await w.addBlankPage(200, 100, [0, 0, 1]);
    await w.addBlankPage(100, 100);
    await w.addImagePage(200, 200, images[3]!, { x: 0, y: 0, width: 200, height: 200 });
    // Not awaited one by one: the writer queues calls.
    const last = [
      w.addImagePage(330, 100, images[4]!, { x: 0, y: 0, width: 330, height: 100 }),
      w.addImagePage(330, 100, images[5]!, { x: 0, y: 0, width: 330, height: 100 }),
    ];
    await Promise.all(last);
    expect(w.pageCount).toBe(8);
    bytesWritten = w.bytesWritten;
    size = await w.close({
      title,
      author: "A. Author",
      creationDate: new Date("2024-02-03T04:05:06Z"),
      producer: "pdfraster test",
    });
  });

  it("returns the file size from close()", () => {
    expect(size).toBe(statSync(path).size);
    expect(size).toBeGreaterThan(bytesWritten);
  });

  it("writes pages pdf-lib reads back with the right sizes", async () => {
    const doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false });
    expect(doc.getPageCount()).toBe(8);
    expect(doc.getPages().map(mediaBox)).toEqual([
      [0, 0, 595.28, 841.89],
      [0, 0, 792, 612],
      [0, 0, 300, 200],
      [0, 0, 200, 100],
      [0, 0, 100, 100],
      [0, 0, 200, 200],
      [0, 0, 330, 100],
      [0, 0, 330, 100],
    ]);
  });

  it("embeds each image with the right dictionary", async () => {
    const doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false });
    const pages = doc.getPages();
    const expected = [
      { page: 0, width: 64, height: 48, filter: "/DCTDecode", cs: "/DeviceRGB", bpc: 8 },
      { page: 1, width: 40, height: 30, filter: "/DCTDecode", cs: "/DeviceGray", bpc: 8 },
      { page: 2, width: 30, height: 20, filter: "/FlateDecode", cs: "/DeviceRGB", bpc: 8, colors: 3 },
      { page: 5, width: 20, height: 20, filter: "/FlateDecode", cs: "/DeviceGray", bpc: 8, colors: 1 },
      { page: 6, width: 33, height: 10, filter: "/FlateDecode", cs: "/DeviceGray", bpc: 1, colors: 1 },
      { page: 7, width: 33, height: 10, filter: "/FlateDecode", cs: "/Indexed", bpc: 1, colors: 1 },
    ];
    for (const e of expected) {
      const { dict } = pageImage(pages[e.page]!);
      expect(lookupName(dict.get(PDFName.of("Subtype")))).toBe("/Image");
      expect(numberOf(dict, "Width")).toBe(e.width);
      expect(numberOf(dict, "Height")).toBe(e.height);
      expect(numberOf(dict, "BitsPerComponent")).toBe(e.bpc);
      expect(lookupName(dict.get(PDFName.of("Filter")))).toBe(e.filter);
      const cs = dict.get(PDFName.of("ColorSpace"));
      expect(cs instanceof PDFArray ? lookupName(cs.get(0)) : lookupName(cs)).toBe(e.cs);
      if (e.colors !== undefined) {
        const parms = dict.lookup(PDFName.of("DecodeParms"), PDFDict);
        expect(numberOf(parms, "Predictor")).toBe(15);
        expect(numberOf(parms, "Colors")).toBe(e.colors);
        expect(numberOf(parms, "BitsPerComponent")).toBe(e.bpc);
        expect(numberOf(parms, "Columns")).toBe(e.width);
      }
    }
    const indexed = pageImage(pages[7]!).dict.lookup(PDFName.of("ColorSpace"), PDFArray);
    expect(indexed.toString()).toMatch(/\/Indexed \/DeviceRGB 1 <(000000FFFFFF|FFFFFF000000)>/);
    expect(pages[3]!.node.Resources()?.get(PDFName.of("XObject"))).toBeUndefined();
    expect(pages[4]!.node.Contents()).toBeUndefined();
  });

  it("embeds JPEG and IDAT bytes unchanged", async () => {
    const doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false });
    const pages = doc.getPages();
    const [red, gray, rgbPng] = images as [PageImage & { kind: "jpeg" }, PageImage & { kind: "jpeg" }, PageImage & { kind: "png" }];
    expect(Buffer.from(pageImage(pages[0]!).getContents()).equals(red.data)).toBe(true);
    expect(Buffer.from(pageImage(pages[1]!).getContents()).equals(gray.data)).toBe(true);
    expect(Buffer.from(pageImage(pages[2]!).getContents()).equals(rgbPng.idat)).toBe(true);
  });

  it("draws the image into the placement box over the background", async () => {
    const doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false });
    const pages = doc.getPages();
    expect(contentOf(pages[0]!)).toBe("q 400 0 0 300 97.64 200 cm /Im0 Do Q\n");
    expect(contentOf(pages[1]!)).toBe("q 1 1 0 rg 0 0 792 612 re f Q\nq 792 0 0 594 0 0 cm /Im0 Do Q\n");
    expect(contentOf(pages[2]!)).toBe("q 320 0 0 210 -10 -5.1235 cm /Im0 Do Q\n");
    expect(contentOf(pages[3]!)).toBe("q 0 0 1 rg 0 0 200 100 re f Q\n");
  });

  it("writes Info with Unicode text, a trailer /ID and no fonts", async () => {
    const bytes = readFileSync(path);
    const doc = await PDFDocument.load(bytes, { updateMetadata: false });
    expect(doc.getTitle()).toBe(title);
    expect(doc.getAuthor()).toBe("A. Author");
    expect(doc.getProducer()).toBe("pdfraster test");
    expect(doc.getSubject()).toBeUndefined();
    expect(doc.getCreationDate()?.toISOString()).toBe("2024-02-03T04:05:06.000Z");
    const text = bytes.toString("latin1");
    expect(text.startsWith("%PDF-1.4\n%")).toBe(true);
    expect(text).toMatch(/\/ID \[<[0-9A-F]{32}> <[0-9A-F]{32}>\]/);
    expect(text.endsWith("%%EOF\n")).toBe(true);
    expect(text).not.toContain("/Font");
  });

  it.skipIf(!hasQpdf)("passes qpdf --check", () => {
    const out = execFileSync("qpdf", ["--check", path], { encoding: "utf8" }); // throws on errors or warnings
    expect(out).toContain("No syntax or stream encoding errors found");
  });

  it.skipIf(!hasPdftoppm)("renders the expected colours with pdftoppm", async () => {
    const file = tmp("pdf");
    const w = await PdfStreamWriter.create(file);
    const box = { x: 0, y: 0, width: 144, height: 144 };
    await w.addImagePage(144, 144, await jpeg(solid(16, 16, 255, 0, 0)), box);
    await w.addImagePage(144, 144, await png(solid(16, 16, 128, 128, 128).toColourspace("b-w").png()), box);
    await w.addBlankPage(144, 144, [0, 0, 1]);
    await w.addImagePage(144, 144, await png(bilevelGray(16, 16)), box);
    await w.addImagePage(144, 144, await png(bilevelPalette(16, 16)), box);
    await w.addImagePage(144, 144, await png(solid(16, 16, 0, 160, 255).png()), { x: 72, y: 0, width: 72, height: 144 }, [1, 1, 0]);
    await w.close();
    execFileSync("pdftoppm", ["-r", "20", "-png", file, join(dir, "render")]);
    const pixel = async (page: number, x: number, y: number): Promise<number[]> => {
      const { data, info } = await sharp(join(dir, `render-${page}.png`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const at = (y * info.width + x) * info.channels;
      return [...data.subarray(at, at + 3)];
    };
    const near = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(12));
    near(await pixel(1, 20, 20), [255, 0, 0]);
    near(await pixel(2, 20, 20), [128, 128, 128]);
    near(await pixel(3, 20, 20), [0, 0, 255]);
    for (const page of [4, 5]) {
      near(await pixel(page, 5, 20), [0, 0, 0]);
      near(await pixel(page, 35, 20), [255, 255, 255]);
    }
    near(await pixel(6, 5, 20), [255, 255, 0]);
    near(await pixel(6, 35, 20), [0, 160, 255]);
  });

  it.skipIf(!hasPdftoppm)("embeds 4-bit gray PNGs (what --format auto writes for text below 300 DPI)", async () => {
    // Left half gray level 0x77 (stored as 7 of 15), right half white.
    const raw = Buffer.from(Array.from({ length: 16 * 16 }, (_, i) => (i % 16 < 8 ? 0x77 : 255)));
    const gray4 = await png(sharp(raw, { raw: { width: 16, height: 16, channels: 1 } }).toColourspace("b-w").png({ colours: 16, palette: false }));
    expect(gray4).toMatchObject({ components: 1, bitsPerComponent: 4 });
    expect(gray4.palette).toBeUndefined();
    const file = tmp("pdf");
    const w = await PdfStreamWriter.create(file);
    await w.addImagePage(144, 144, gray4, { x: 0, y: 0, width: 144, height: 144 });
    await w.close();
    if (hasQpdf) execFileSync("qpdf", ["--check", file], { stdio: "ignore" });
    execFileSync("pdftoppm", ["-r", "20", "-gray", "-png", file, join(dir, "gray4")]);
    const { data, info } = await sharp(join(dir, "gray4-1.png")).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(Math.abs(data[20 * info.width + 5]! - 0x77)).toBeLessThanOrEqual(2);
    expect(data[20 * info.width + 35]).toBeGreaterThan(250);
    await expect(w.addBlankPage(1, 1)).rejects.toThrow(/closed/);
  });

  it("rejects bad arguments without spoiling the file, and calls after close", async () => {
    const file = tmp("pdf");
    const w = await PdfStreamWriter.create(file);
    const image = images[0]!;
    await expect(w.addBlankPage(0, 100)).rejects.toThrow(/pageWidthPt/);
    await expect(w.addBlankPage(100, Number.NaN)).rejects.toThrow(/pageHeightPt/);
    await expect(w.addBlankPage(100, 100, [2, 0, 0])).rejects.toThrow(/background/);
    await expect(w.addImagePage(100, 100, image, { x: 0, y: 0, width: Infinity, height: 1 })).rejects.toThrow(/placement.width/);
    await expect(w.addImagePage(100, 100, { ...image, width: 1.5 }, { x: 0, y: 0, width: 1, height: 1 })).rejects.toThrow(/size/);
    await w.addBlankPage(100, 100);
    expect(await w.close()).toBe(statSync(file).size);
    await expect(w.addBlankPage(100, 100)).rejects.toThrow(/closed/);
    await w.abort(); // harmless after close
    if (hasQpdf) execFileSync("qpdf", ["--check", file], { stdio: "ignore" });
  });

  it("refuses to finish an empty document; abort() closes the handle", async () => {
    const w = await PdfStreamWriter.create(tmp("pdf"));
    await expect(w.close()).rejects.toThrow(/no pages/);
    await w.abort();
    await expect(w.addBlankPage(100, 100)).rejects.toThrow();
  });

  it("writes identical bytes for identical input", async () => {
    const write = async () => {
      const file = tmp("pdf");
      const w = await PdfStreamWriter.create(file);
      await w.addImagePage(100, 100, images[2]!, { x: 0, y: 0, width: 100, height: 100 });
      await w.close({ title: "same" });
      return readFileSync(file);
    };
    expect((await write()).equals(await write())).toBe(true);
  });

  it("does not keep page data: memory stays flat over 300 pages of a 100 KB JPEG", async () => {
    const noise = Buffer.from(Array.from({ length: 350 * 350 * 3 }, () => Math.floor(Math.random() * 256)));
    const image = await jpeg(sharp(noise, { raw: { width: 350, height: 350, channels: 3 } }));
    expect(image.data.length).toBeGreaterThan(90_000);
    const file = tmp("pdf");
    const w = await PdfStreamWriter.create(file);
    const before = await settledArrayBuffers();
    for (let i = 0; i < 300; i++) {
      // A fresh copy per page, so that a writer holding on to page data would show up.
      await w.addImagePage(200, 200, { ...image, data: Uint8Array.from(image.data) }, { x: 0, y: 0, width: 200, height: 200 });
    }
    const growth = (await settledArrayBuffers()) - before;
    const size = await w.close();
    expect(growth).toBeLessThan(4 * 1024 * 1024); // retaining the pages would be ~30 MB
    expect(size).toBeGreaterThan(300 * image.data.length);
    expect(size).toBe(statSync(file).size);
  });
});

describe("parsePngForPdf / readPngForPdf", () => {
  it("joins split IDAT chunks and reads files", async () => {
    const buf = await solid(50, 50, 10, 20, 30).png({ palette: false }).toBuffer();
    const whole = parsePngForPdf(buf);
    // Rebuild the file with its IDAT split in two (CRCs are not checked, so zeros do).
    const at = buf.indexOf("IDAT") - 4;
    const half = Math.floor(whole.idat.length / 2);
    const chunk = (data: Uint8Array) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(data.length, 0);
      head.write("IDAT", 4, "latin1");
      return Buffer.concat([head, data, Buffer.alloc(4)]);
    };
    const split = Buffer.concat([buf.subarray(0, at), chunk(whole.idat.subarray(0, half)), chunk(whole.idat.subarray(half)), buf.subarray(at + 12 + whole.idat.length)]);
    expect(parsePngForPdf(split)).toEqual(whole);
    const file = tmp("png");
    await sharp(buf).toFile(file);
    expect(await readPngForPdf(file)).toMatchObject({ kind: "png", width: 50, height: 50, components: 3, bitsPerComponent: 8 });
  });

  it("describes the 1-bit PNGs sharp writes", async () => {
    const gray = await png(bilevelGray(16, 4));
    expect(gray).toMatchObject({ components: 1, bitsPerComponent: 1 });
    expect(gray.palette).toBeUndefined();
    const indexed = await png(bilevelPalette(16, 4));
    expect(indexed).toMatchObject({ components: 1, bitsPerComponent: 1 });
    expect(indexed.palette?.length).toBe(6);
  });

  it("rejects what a PDF cannot take as-is", async () => {
    const rgba = sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } });
    await expect(png(rgba.clone().png())).rejects.toThrow(/colour type 6/);
    await expect(png(rgba.clone().png({ palette: true }))).rejects.toThrow(/transparency/);
    await expect(png(solid(4, 4, 1, 2, 3).toColourspace("rgb16").png())).rejects.toThrow(/16 bit/);
    await expect(png(solid(4, 4, 1, 2, 3).png({ progressive: true }))).rejects.toThrow(/interlaced/);
    expect(() => parsePngForPdf(Buffer.from("GIF89a not a png"))).toThrow(/signature/);
    const good = await solid(4, 4, 1, 2, 3).png().toBuffer();
    expect(() => parsePngForPdf(good.subarray(0, good.length - 20))).toThrow(/Truncated/);
    const file = tmp("png");
    await rgba.clone().png().toFile(file);
    await expect(readPngForPdf(file)).rejects.toThrow(file);
  });
});

describe("jpegInfo", () => {
  it("reads size and components from baseline, progressive, gray and CMYK JPEGs", async () => {
    expect(jpegInfo(await solid(70, 30, 9, 9, 9).jpeg().toBuffer())).toEqual({ width: 70, height: 30, components: 3 });
    expect(jpegInfo(await solid(70, 30, 9, 9, 9).jpeg({ progressive: true }).toBuffer())).toEqual({ width: 70, height: 30, components: 3 });
    expect(jpegInfo(await solid(5, 6, 9, 9, 9).toColourspace("b-w").jpeg().toBuffer())).toEqual({ width: 5, height: 6, components: 1 });
    expect(jpegInfo(await solid(5, 6, 9, 9, 9).toColourspace("cmyk").jpeg().toBuffer())).toEqual({ width: 5, height: 6, components: 4 });
  });

  it("throws on non-JPEG and truncated data", async () => {
    const data = await solid(70, 30, 9, 9, 9).jpeg().toBuffer();
    expect(() => jpegInfo(Buffer.from("%PDF-1.4"))).toThrow(/Not a JPEG/);
    expect(() => jpegInfo(data.subarray(0, 20))).toThrow(/Truncated/);
    expect(() => jpegInfo(new Uint8Array())).toThrow(/Not a JPEG/);
  });
});
