/**
 * The Group 4 encoder against independent decoders: libtiff (`tiffcp -c none` decodes the TIFF
 * container to an uncompressed TIFF) and, for a real page, poppler's CCITTFaxDecode through a PDF
 * (pdfimages). Every bitmap must come back bit for bit. (ImageMagick is no oracle here: it refuses
 * G4 files that compress too well as "insufficient image data".)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeG4, g4DecodeParms, g4MinBytes, packBlack, type BlackBitmap } from "../../src/codecs/ccitt/g4.js";
import { g4ToTiff, tiffToG4 } from "../../src/codecs/ccitt/tiff.js";
import { PdfStreamWriter } from "../../src/pdf/writer.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-ccitt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = join(import.meta.dirname, "../../fixtures/sample.pdf");
const corpus = join(import.meta.dirname, "../../../shared/corpus/pdfjs");

/** A bitmap of `width` x `height` whose pixel (x, y) is black where `paint` says so. */
function bitmap(width: number, height: number, paint: (x: number, y: number) => boolean): BlackBitmap {
  const rowBytes = (width + 7) >> 3;
  const black = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (paint(x, y)) black[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
  return { width, height, black };
}

/** Parses a binary PBM (P4: packed rows, 1 = black) into a bitmap. */
function parsePbm(file: Buffer): BlackBitmap {
  const header = /^P4\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s/.exec(file.toString("latin1", 0, 200));
  if (!header) throw new Error(`not a P4 PBM: ${file.toString("latin1", 0, 20)}`);
  const [width, height] = [Number(header[1]), Number(header[2])];
  return { width, height, black: file.subarray(header[0].length, header[0].length + ((width + 7) >> 3) * height) };
}

/** The bitmap with padding bits after each row's last column cleared, for comparison. */
function canonical(image: BlackBitmap): Buffer {
  const rowBytes = (image.width + 7) >> 3;
  const out = Buffer.from(image.black.subarray(0, rowBytes * image.height));
  const keep = image.width % 8 === 0 ? 0xff : (0xff << (8 - (image.width % 8))) & 0xff;
  for (let y = 0; y < image.height; y++) out[y * rowBytes + rowBytes - 1]! &= keep;
  return out;
}

/** Reads the one strip of an uncompressed 1-bit TIFF, checking that a set bit is black (PhotometricInterpretation 0). */
function parseUncompressedTiff(file: Buffer): BlackBitmap {
  const u16 = (at: number): number => (file.toString("latin1", 0, 2) === "II" ? file.readUInt16LE(at) : file.readUInt16BE(at));
  const u32 = (at: number): number => (file.toString("latin1", 0, 2) === "II" ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const ifd = u32(4);
  const tags = new Map<number, number>();
  for (let i = 0; i < u16(ifd); i++) {
    const at = ifd + 2 + i * 12;
    expect(u32(at + 4), `tag ${u16(at)} has one value`).toBe(1);
    tags.set(u16(at), u16(at + 2) === 3 ? u16(at + 8) : u32(at + 8));
  }
  expect([tags.get(259), tags.get(262), tags.get(258)]).toEqual([1, 0, 1]); // no compression, WhiteIsZero, 1 bit
  const [width, height, offset, bytes] = [tags.get(256)!, tags.get(257)!, tags.get(273)!, tags.get(279)!];
  expect(bytes).toBe(((width + 7) >> 3) * height);
  return { width, height, black: file.subarray(offset, offset + bytes) };
}

let serial = 0;
/** Encodes `image`, wraps it in a TIFF and decodes it with libtiff into one uncompressed strip. */
function roundTripTiff(image: BlackBitmap): BlackBitmap {
  const [tif, plain] = [join(dir, `t${serial}.tif`), join(dir, `p${serial++}.tif`)];
  writeFileSync(tif, g4ToTiff(encodeG4(image)));
  // libtiff only warns about a bad code (and fills the rest of the row): any output on stderr fails.
  const result = spawnSync("tiffcp", ["-c", "none", "-r", String(image.height), tif, plain], { encoding: "utf8" });
  expect(`${result.status} ${result.stderr}`).toBe("0 ");
  return parseUncompressedTiff(readFileSync(plain));
}

function expectRoundTrip(image: BlackBitmap): void {
  const decoded = roundTripTiff(image);
  expect([decoded.width, decoded.height]).toEqual([image.width, image.height]);
  // Buffer equality, not toEqual on megabytes: a failure names the first differing row.
  const [want, got] = [canonical(image), canonical(decoded)];
  if (!want.equals(got)) {
    const rowBytes = (image.width + 7) >> 3;
    let at = 0;
    while (want[at] === got[at]) at++;
    expect.fail(`decoded bitmap differs from row ${Math.floor(at / rowBytes)}, byte ${at % rowBytes}`);
  }
}

/** A page rendered to 1-bit by poppler (a real text page, independent of pdfraster's renderer). */
function popplerMono(pdf: string, page: number, dpi: number): BlackBitmap {
  return parsePbm(execFileSync("pdftoppm", ["-mono", "-r", String(dpi), "-f", String(page), "-l", String(page), pdf], { maxBuffer: 1 << 28 }));
}

describe("encodeG4 decodes bit for bit with libtiff", () => {
  it("on a real text page (sample.pdf p1 at 300 DPI)", () => {
    const page = popplerMono(sample, 1, 300);
    expect(page.width).toBe(2550);
    expect(canonical(page).some((b) => b !== 0)).toBe(true);
    expectRoundTrip(page);
  });

  it("on a dense page of a real document (a LaTeX paper at 300 DPI)", () => {
    expectRoundTrip(popplerMono(join(corpus, "tracemonkey.pdf"), 1, 300));
  });

  it.each([
    ["empty", 64, 64, () => false],
    ["one pixel", 1, 1, () => true],
    ["one white pixel", 1, 1, () => false],
    ["one black pixel in a page", 300, 200, (x: number, y: number) => x === 150 && y === 100],
    ["full black", 2550, 40, () => true],
    ["width 1", 1, 50, (_: number, y: number) => y % 3 === 0],
    ["width 7", 7, 33, (x: number, y: number) => (x + y) % 3 === 0],
    ["width 9", 9, 33, (x: number, y: number) => x === 8 || y % 5 === 0],
    ["1 x 100000", 1, 100_000, (_: number, y: number) => y % 7 < 3],
    ["100000 x 1", 100_000, 1, (x: number) => x % 3001 < 1500 || x === 99_999],
    ["alternating columns", 2551, 16, (x: number) => x % 2 === 1],
    ["alternating columns, shifted each row", 1001, 16, (x: number, y: number) => (x + y) % 2 === 0],
    ["a checkerboard of 1-pixel cells", 333, 333, (x: number, y: number) => (x ^ y) % 2 === 0],
    ["long runs of each colour (make-up codes up to 2560 and beyond)", 6000, 6, (x: number, y: number) => x >= 64 * y + 1 && x < 2560 + 64 * y + 7],
    ["black at both edges", 130, 9, (x: number, y: number) => x === 0 || x === 129 || (y === 4 && x > 60)],
    ["staircase (every vertical mode)", 200, 60, (x: number, y: number) => x >= 20 + (y % 7) * ((y % 2) * 2 - 1) + 30 && x < 120 + (y % 5)],
  ])("%s", (_name, width, height, paint) => {
    expectRoundTrip(bitmap(width, height, paint));
  });

  it("on random noise", () => {
    let seed = 12345;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    const noise = { width: 1237, height: 300, black: new Uint8Array(((1237 + 7) >> 3) * 300).map(() => random()) };
    expectRoundTrip(noise);
  });

  it("on every run length from 0 to 2700 of each colour (every terminating and make-up code)", () => {
    // Row 2n+1: a white run of n, then a black run of n + 1; the all-white rows between force horizontal mode.
    const n = 2700;
    const width = 2 * n + 2;
    const rowBytes = (width + 7) >> 3;
    const black = new Uint8Array(rowBytes * 2 * n);
    for (let run = 0; run < n; run++) {
      const row = (2 * run + 1) * rowBytes;
      for (let x = run; x < 2 * run + 1; x++) black[row + (x >> 3)]! |= 0x80 >> (x & 7);
    }
    expectRoundTrip({ width, height: 2 * n, black });
  });

  it("on sparse random dots and random runs", () => {
    let seed = 99;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    expectRoundTrip(bitmap(3001, 200, () => random() < 0.01));
    const cuts = Array.from({ length: 400 }, () => Math.floor(random() * 5000)).sort((a, b) => a - b);
    expectRoundTrip(bitmap(5000, 40, (x, y) => cuts.filter((c) => c <= x + y * 13).length % 2 === 1));
  });
});

describe("g4MinBytes", () => {
  /** Noise whose padding bits (width 1237) are noise too. */
  function noise(width: number, height: number, seed: number): BlackBitmap {
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    return { width, height, black: new Uint8Array(((width + 7) >> 3) * height).map(() => random()) };
  }

  it("is at most encodeG4's size, on real pages, edge cases and noise; and counts every change of a row once", () => {
    const images: Array<[string, BlackBitmap]> = [
      ["sample p1", popplerMono(sample, 1, 300)],
      ["tracemonkey p1", popplerMono(join(corpus, "tracemonkey.pdf"), 1, 300)],
      ["noise", noise(1237, 300, 7)],
      ["empty", bitmap(64, 64, () => false)],
      ["one pixel", bitmap(1, 1, () => true)],
      ["full black", bitmap(2550, 40, () => true)],
      ["1 x 100000", bitmap(1, 100_000, (_, y) => y % 7 < 3)],
      ["checkerboard", bitmap(333, 333, (x, y) => (x ^ y) % 2 === 0)],
      ["black at both edges", bitmap(130, 9, (x, y) => x === 0 || x === 129 || (y === 4 && x > 60))],
    ];
    for (const [name, image] of images) expect(g4MinBytes(image), name).toBeLessThanOrEqual(encodeG4(image).data.length);
    // Text: a useful bound (most of G4's bits are one per change), so a smaller JBIG2 skips G4.
    const text = images[1]![1];
    expect(g4MinBytes(text)).toBeGreaterThan(encodeG4(text).data.length / 4);
    // Exact counts: a checkerboard row of 333 starting black changes 333 times, one starting white 332.
    expect(g4MinBytes(bitmap(333, 2, (x, y) => (x ^ y) % 2 === 0))).toBe(Math.floor((333 + 332) / 8));
    expect(g4MinBytes(bitmap(16, 8, (x) => x === 0 || x === 15))).toBe(3); // 3 changes a row: at 0, 1 and 15
    // Bits after the last column are not pixels: noise there counts for nothing.
    const padded = noise(1237, 300, 99);
    const cleared = { ...padded, black: new Uint8Array(canonical(padded)) };
    expect(g4MinBytes(padded)).toBe(g4MinBytes(cleared));
    expect(() => g4MinBytes({ width: 9, height: 2, black: new Uint8Array(3) })).toThrow(RangeError);
  });
});

describe("packBlack", () => {
  it("sets the bits of dark pixels, so 0 in 8-bit gray is black, whatever the alignment", () => {
    const gray = Uint8Array.of(0, 255, 127, 128, 255, 255, 255, 255, 0, 10);
    expect([...packBlack(gray, 10, 1).black]).toEqual([0b10100000, 0b11000000]);
    expect([...packBlack(gray, 5, 2).black]).toEqual([0b10100000, 0b00011000]);
    expect([...packBlack(gray.subarray(1), 9, 1).black]).toEqual([0b01000001, 0b10000000]);
    // Another threshold: below it is black, as sharp's threshold() makes it 0.
    expect([...packBlack(gray, 10, 1, 11).black]).toEqual([0b10000000, 0b11000000]);
    expect([...packBlack(gray, 10, 1, 256).black]).toEqual([0xff, 0b11000000]);
  });
});

describe("the TIFF container", () => {
  it("reads back what it wrote, and rejects other files", () => {
    const image = encodeG4(bitmap(17, 5, (x) => x > 3));
    const back = tiffToG4(g4ToTiff(image));
    expect([back.width, back.height, Buffer.from(back.data).equals(Buffer.from(image.data))]).toEqual([17, 5, true]);
    expect(() => tiffToG4(Buffer.from("not a tiff at all, but long enough to be read as one by a careless reader............................................................................................"))).toThrow(/TIFF/);
    const file = g4ToTiff(image);
    const truncated = file.subarray(0, file.length - 1);
    expect(() => tiffToG4(truncated)).toThrow(/strip/);
  });
});

describe("encodeG4 in a PDF decodes bit for bit with poppler", () => {
  it("on a real text page (/CCITTFaxDecode /K -1, pdfimages)", async () => {
    const page = popplerMono(sample, 1, 150);
    const image = encodeG4(page);
    expect(g4DecodeParms(image)).toBe(`<< /K -1 /Columns ${page.width} /Rows ${page.height} /BlackIs1 false >>`);
    const pdf = join(dir, "g4.pdf");
    const writer = await PdfStreamWriter.create(pdf);
    await writer.addImagePage(612, 792, { kind: "g4", ...image }, { x: 0, y: 0, width: 612, height: 792 });
    await writer.close();
    execFileSync("pdfimages", ["-f", "1", "-l", "1", pdf, join(dir, "img")]); // -pbm is the default for 1-bit images
    const decoded = parsePbm(readFileSync(join(dir, "img-000.pbm")));
    expect(canonical(decoded).equals(canonical(page))).toBe(true);
    expect(execFileSync("pdfimages", ["-list", pdf]).toString()).toMatch(/image\s+\d+\s+\d+\s+gray\s+1\s+1\s+ccitt/);
  });
});
