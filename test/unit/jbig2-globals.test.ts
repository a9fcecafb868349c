import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Bitmap } from "../../src/codecs/jbig2/bitmap.js";
import { embeddedStream, encodePage } from "../../src/codecs/jbig2/page.js";
import { deserializePageSymbols, PageSymbolsFormatError, serializePageSymbols } from "../../src/codecs/jbig2/serialize.js";
import { SymbolTable } from "../../src/codecs/jbig2/symbol-table.js";
import { extractSymbols, hashBitmap } from "../../src/codecs/jbig2/symbols.js";
import sharp from "sharp";
import { createBitmap } from "../../src/codecs/jbig2/bitmap.js";
import type { Engine } from "../../src/engines/engine.js";
import { PdfiumEngine } from "../../src/engines/pdfium/engine.js";
import { PdfJsEngine } from "../../src/engines/pdfjs/engine.js";
import { CORPUS, scratch } from "../helpers/cli.js";
import { wholePage } from "../helpers/render.js";
import { jbig2Pdf, type Jbig2PdfPage } from "../helpers/jbig2-pdf.js";
import { collidingGlyphs, firstDifference, jbig2dec, readPbm, renderMono, stamp } from "../helpers/jbig2.js";

const PAGES = [1, 2, 3, 4, 5];
const ARRIVAL = [3, 1, 5, 2, 4]; // pages reach the assembler out of order
const bitmaps = new Map<number, Bitmap>(PAGES.map((p) => [p, renderMono(join(CORPUS, "tracemonkey.pdf"), p, 150)]));

/** A 1-bit DeviceGray PNG (0 = black) as a bitmap (1 = black). */
async function fromPng(png: Uint8Array): Promise<Bitmap> {
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const bitmap = createBitmap(info.width, info.height);
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) if (data[y * info.width + x]! < 128) bitmap.data[y * bitmap.stride + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return bitmap;
}

/** Render-process side per page (symbols through their file form), assembler side in arrival order. */
function encodeDocument(table: SymbolTable): { pages: Map<number, Jbig2PdfPage>; globals: Uint8Array; ownSymbols: number[] } {
  const pages = new Map<number, Jbig2PdfPage>();
  const ownSymbols: number[] = [];
  for (const p of ARRIVAL) {
    const symbols = deserializePageSymbols(serializePageSymbols(extractSymbols(bitmaps.get(p)!)));
    const encoded = encodePage(symbols, table.admit(symbols));
    pages.set(p, { width: symbols.width, height: symbols.height, stream: embeddedStream(encoded), usesGlobals: encoded.usesGlobals });
    ownSymbols.push(encoded.ownSymbols);
  }
  return { pages, globals: table.globalsStream(), ownSymbols };
}

/** poppler (pdfimages), MuPDF and Ghostscript decode every page of a PDF of these pages, globals last, bit for bit. */
async function expectReadersDecode(pages: Map<number, Jbig2PdfPage>, globals: Uint8Array): Promise<void> {
  const dir = scratch("pdfraster-jbig2-pdf-");
  const pdf = join(dir, "doc.pdf");
  writeFileSync(pdf, jbig2Pdf(PAGES.map((p) => pages.get(p)!), globals));
  execFileSync("qpdf", ["--check", pdf], { stdio: "pipe" });
  // poppler decodes each image stream with its globals (pdfimages writes the decoded pixels, 0 = black in DeviceGray).
  execFileSync("pdfimages", ["-png", pdf, join(dir, "img")]);
  const images = readdirSync(dir).filter((f) => f.startsWith("img")).sort();
  expect(images).toHaveLength(PAGES.length);
  for (const [i, p] of PAGES.entries()) {
    const poppler = await fromPng(readFileSync(join(dir, images[i]!)));
    expect(firstDifference(poppler, bitmaps.get(p)!), `poppler page ${p}`).toBeUndefined();
    // MuPDF renders the page: at 72 DPI a page of w x h points is w x h pixels, one per image pixel.
    execFileSync("mutool", ["draw", "-q", "-r", "72", "-o", join(dir, `mupdf-${p}.pbm`), pdf, String(p)]);
    const mupdf = readPbm(readFileSync(join(dir, `mupdf-${p}.pbm`)));
    expect(firstDifference(mupdf, bitmaps.get(p)!), `MuPDF page ${p}`).toBeUndefined();
    const gsOut = join(dir, `gs-${p}.pbm`);
    execFileSync("gs", ["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pbmraw", "-r72", `-dFirstPage=${p}`, `-dLastPage=${p}`, `-sOutputFile=${gsOut}`, pdf]);
    expect(firstDifference(readPbm(readFileSync(gsOut)), bitmaps.get(p)!), `Ghostscript page ${p}`).toBeUndefined();
  }
}

describe("JBIG2 document-wide symbol dictionary", () => {
  it("pages encoded in arrival order decode exactly against the globals written after all of them", () => {
    const table = new SymbolTable();
    const { pages, globals, ownSymbols } = encodeDocument(table);
    expect(ownSymbols.every((n) => n === 0)).toBe(true);
    for (const p of PAGES) {
      expect(pages.get(p)!.usesGlobals).toBe(true);
      expect(firstDifference(jbig2dec(pages.get(p)!.stream, globals), bitmaps.get(p)!)).toBeUndefined();
    }
    // Each distinct glyph is stored once: globals + pages beat every page with its own dictionary.
    const shared = globals.length + [...pages.values()].reduce((n, page) => n + page.stream.length, 0);
    const alone = PAGES.reduce((n, p) => n + embeddedStream(encodePage(extractSymbols(bitmaps.get(p)!))).length, 0);
    expect(shared).toBeLessThan(alone);
  });

  it("never gives a page another page's look-alike glyph (hash-colliding glyphs stay two symbols)", () => {
    const [a, b] = collidingGlyphs(hashBitmap);
    const table = new SymbolTable();
    const first = createBitmap(40, 20);
    stamp(first, a, 2, 2);
    const second = createBitmap(40, 20);
    stamp(second, b, 2, 2);
    const streams = [first, second].map((bitmap) => {
      const symbols = extractSymbols(bitmap);
      return embeddedStream(encodePage(symbols, table.admit(symbols)));
    });
    expect(table.symbolCount).toBe(2);
    const globals = table.globalsStream();
    expect(firstDifference(jbig2dec(streams[0]!, globals), first)).toBeUndefined();
    expect(firstDifference(jbig2dec(streams[1]!, globals), second)).toBeUndefined();
  });

  it("reads back page symbols files exactly and rejects damaged ones", () => {
    const symbols = extractSymbols(bitmaps.get(1)!);
    const bytes = serializePageSymbols(symbols);
    expect(serializePageSymbols(deserializePageSymbols(bytes))).toEqual(bytes);
    for (const damaged of [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, 100), new Uint8Array(3), Buffer.concat([bytes, Buffer.from([0])])]) {
      expect(() => deserializePageSymbols(damaged)).toThrow(PageSymbolsFormatError);
    }
    const huge = Uint8Array.from(bytes);
    new DataView(huge.buffer).setUint32(20, 0x7fffffff, true); // the first class's width
    expect(() => deserializePageSymbols(huge)).toThrow(PageSymbolsFormatError);
  });

  it("rejects a well-formed file that draws outside its page (a symbol, the residual region), and reads a pooled Buffer", () => {
    // The page with a rule 400 pixels long: a component too large for a symbol, so the page has a residual region.
    const page = bitmaps.get(1)!;
    const ruled = { ...page, data: Uint8Array.from(page.data) };
    for (let x = 10; x < 410; x++) ruled.data[20 * ruled.stride + (x >> 3)]! |= 0x80 >> (x & 7);
    const symbols = extractSymbols(ruled);
    expect(symbols.residual).not.toBeNull();
    const [first] = symbols.classes;
    const moved = (x: number, y: number) => ({ ...symbols, classes: [{ bitmap: first!.bitmap, positions: Int32Array.of(x, y) }, ...symbols.classes.slice(1)] });
    for (const [x, y] of [[-1, 0], [0, -1], [symbols.width - first!.bitmap.width + 1, 0], [0, symbols.height - first!.bitmap.height + 1]]) {
      expect(() => deserializePageSymbols(serializePageSymbols(moved(x!, y!))), `${x},${y}`).toThrow(/outside the page/);
    }
    expect(deserializePageSymbols(serializePageSymbols(moved(0, 0))).classes[0]!.positions).toEqual(Int32Array.of(0, 0));
    const residual = Uint8Array.from(symbols.residual!);
    new DataView(residual.buffer).setUint32(8, symbols.width, false); // its x: past the right edge
    expect(() => deserializePageSymbols(serializePageSymbols({ ...symbols, residual }))).toThrow(/Residual region outside/);
    // readFile's Buffers come from a pool, at an offset: the residual's fields are read where they are.
    const bytes = serializePageSymbols(symbols);
    const pooled = Buffer.concat([Buffer.alloc(13), bytes]).subarray(13);
    expect(serializePageSymbols(deserializePageSymbols(pooled))).toEqual(bytes);
  });

  it("holds to its cap, and pages past it carry their own dictionary", () => {
    const table = new SymbolTable({ maxSymbols: 400 });
    const { pages, globals, ownSymbols } = encodeDocument(table);
    expect(table.symbolCount).toBeGreaterThan(0);
    expect(table.symbolCount).toBeLessThanOrEqual(400);
    expect(ownSymbols.filter((n) => n > 0).length).toBeGreaterThan(0); // the pages that did not fit have their own dictionary
    for (const p of PAGES) {
      const page = pages.get(p)!;
      const decoded = page.usesGlobals ? jbig2dec(page.stream, globals) : jbig2dec(page.stream, new Uint8Array(0));
      expect(firstDifference(decoded, bitmaps.get(p)!)).toBeUndefined();
    }
    const empty = new SymbolTable({ maxSymbols: 0 });
    const { pages: local, globals: none } = encodeDocument(empty);
    expect(empty.symbolCount).toBe(0);
    expect(none).toHaveLength(0);
    expect([...local.values()].every((page) => !page.usesGlobals)).toBe(true);
  });

  it("real PDF readers (poppler, MuPDF, Ghostscript) decode the pages of a PDF whose globals object comes last", async () => {
    const { pages, globals } = encodeDocument(new SymbolTable());
    await expectReadersDecode(pages, globals);
  });

  it("holds to its byte cap: pages past it decode in every reader from their own dictionary and the globals", async () => {
    // The cap admits the first page to arrive and none of the later pages' new symbols (the table counts a
    // page's fresh bitmaps twice: bitmaps kept plus a coded chunk at most their size).
    const firstBytes = extractSymbols(bitmaps.get(ARRIVAL[0]!)!).classes.reduce((n, c) => n + c.bitmap.data.length, 0);
    const table = new SymbolTable({ maxBytes: 2 * firstBytes });
    const { pages, globals, ownSymbols } = encodeDocument(table);
    expect(table.bytes).toBeGreaterThan(0);
    expect(table.bytes).toBeLessThanOrEqual(2 * firstBytes);
    expect(ownSymbols[0]).toBe(0);
    expect(ownSymbols.slice(1).every((n) => n > 0)).toBe(true);
    // A page past the cap draws its glyphs already in the globals from there, and only its new ones from its own dictionary.
    expect(ARRIVAL.slice(1).every((p) => pages.get(p)!.usesGlobals)).toBe(true);
    const uncapped = new SymbolTable();
    encodeDocument(uncapped);
    expect(globals.length).toBeLessThan(uncapped.globalsStream().length);
    for (const p of PAGES) expect(firstDifference(jbig2dec(pages.get(p)!.stream, globals), bitmaps.get(p)!), `page ${p}`).toBeUndefined();
    await expectReadersDecode(pages, globals);
  });

  it("pdf.js and PDFium (our own engines) draw the same pages", async () => {
    const { pages, globals } = encodeDocument(new SymbolTable());
    const pdf = join(scratch("pdfraster-jbig2-pdf-"), "doc.pdf");
    writeFileSync(pdf, jbig2Pdf(PAGES.map((p) => pages.get(p)!), globals));
    for (const open of [(f: string) => PdfJsEngine.open(f), (f: string) => PdfiumEngine.open(f)]) {
      const engine: Engine = await open(pdf);
      try {
        for (const p of PAGES) {
          const page = await engine.render(await wholePage(engine, p, 72));
          const drawn = createBitmap(page.width, page.height);
          for (let y = 0; y < page.height; y++) {
            for (let x = 0; x < page.width; x++) {
              if (page.rgba[(y * page.width + x) * page.channels]! < 128) drawn.data[y * drawn.stride + (x >> 3)]! |= 0x80 >> (x & 7);
            }
          }
          page.release();
          expect(firstDifference(drawn, bitmaps.get(p)!), `${engine.name} page ${p}`).toBeUndefined();
        }
      } finally {
        await engine.close();
      }
    }
  });
});
