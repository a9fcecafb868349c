import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFString } from "pdf-lib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceWidth, cidsWidth, fontProgram, GLYPH_WIDTHS } from "../../src/pdf/glyphless-font.js";
import { jpegInfo } from "../../src/pdf/png.js";
import { PdfStreamWriter, type PageImage } from "../../src/pdf/writer.js";
import { hasTools } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-writer-keep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasPoppler = hasTools("pdftotext");
if (!hasPoppler) console.warn("pdftotext not installed: text-layer extraction checks are skipped (apt-get install poppler-utils)");

async function whiteJpeg(): Promise<PageImage> {
  const data = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#ffffff" } }).jpeg().toBuffer();
  const { width, height } = jpegInfo(data);
  return { kind: "jpeg", data, width, height, components: 3 };
}

const CJK = "日本語のテキスト";
const THAI = "สวัสดี ภาษาไทย";
const BEYOND_BMP = "smile 😀 𠀋 end";

describe("PdfStreamWriter text layer, links and outline", () => {
  const path = join(dir, "keep.pdf");
  let doc: PDFDocument;

  beforeAll(async () => {
    const image = await whiteJpeg();
    const w = await PdfStreamWriter.create(path);
    const full = { x: 0, y: 0, width: 612, height: 792 };
    await w.addImagePage(612, 792, image, full, undefined, {
      text: [
        { text: "Hello searchable world", matrix: [150, 0, 0, 12, 72, 700] },
        { text: CJK, matrix: [112, 0, 0, 14, 72, 650] },
        { text: THAI, matrix: [90, 0, 0, 12, 72, 600] },
        { text: "Upwards", matrix: [0, 60, -12, 0, 300, 300] },
        { text: BEYOND_BMP, matrix: [150, 0, 0, 12, 72, 550] },
        { text: "\u0301", matrix: [10, 0, 0, 12, 72, 100] }, // only a zero-width mark: nothing to show
      ],
      links: [
        { rect: [72, 690, 222, 712], uri: "https://example.com/a?b=c&d" },
        { rect: [72, 640, 184, 660], dest: "to-page-3" },
      ],
    });
    await w.addImagePage(612, 792, image, full); // no overlay: no font, no annotations
    await w.addImagePage(612, 792, image, full, undefined, { text: [{ text: "Third page", matrix: [100, 0, 0, 20, 72, 700] }] });
    await w.close(undefined, {
      outline: [
        {
          title: "Part One — 第一",
          target: { dest: { page: 0, left: 0, top: 792 } },
          open: true,
          bold: true,
          children: [{ title: "Section", target: { dest: { page: 2, left: null, top: 500 } }, children: [] }],
        },
        { title: "Closed", children: [{ title: "Hidden child", target: { uri: "https://example.org/" }, children: [] }] },
      ],
      dests: new Map([["to-page-3", { page: 2, left: 10, top: 720 }]]),
    });
    doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false });
  });

  const pageRef = (i: number): PDFRef => doc.getPages()[i]!.ref;
  const lookupDict = (dict: PDFDict, key: string): PDFDict => dict.lookup(PDFName.of(key), PDFDict);
  const text = (value: unknown): string =>
    value instanceof PDFHexString || value instanceof PDFString ? value.decodeText() : String(value);
  const contents = (i: number): string => {
    const c = doc.getPages()[i]!.node.Contents();
    const refs = c instanceof PDFArray ? c.asArray() : [c];
    return refs
      .map((r) => doc.context.lookup(r))
      .map((s) => {
        const stream = s as PDFRawStream;
        return Buffer.from(stream.dict.get(PDFName.of("Filter")) ? inflateSync(stream.contents) : stream.contents).toString("latin1");
      })
      .join("");
  };

  it("writes the text invisibly (render mode 3) in one embedded glyphless Type0 font shared by the pages", () => {
    const fontRefs = [0, 2].map((i) => doc.getPages()[i]!.node.Resources()!.lookup(PDFName.of("Font"), PDFDict).get(PDFName.of("F0")));
    expect(fontRefs[0]).toBeInstanceOf(PDFRef);
    expect(fontRefs[0]).toBe(fontRefs[1]);
    const font = doc.context.lookup(fontRefs[0], PDFDict);
    expect(font.get(PDFName.of("Subtype"))?.toString()).toBe("/Type0");
    expect(font.get(PDFName.of("Encoding"))?.toString()).toBe("/Identity-H");
    expect(font.lookup(PDFName.of("ToUnicode"))).toBeInstanceOf(PDFRawStream);
    const cid = font.lookup(PDFName.of("DescendantFonts"), PDFArray).lookup(0, PDFDict);
    expect(cid.get(PDFName.of("Subtype"))?.toString()).toBe("/CIDFontType2");
    const fontFile = lookupDict(cid, "FontDescriptor").lookup(PDFName.of("FontFile2")) as PDFRawStream;
    expect(inflateSync(fontFile.contents)).toEqual(fontProgram());
    const cidToGid = inflateSync((cid.lookup(PDFName.of("CIDToGIDMap")) as PDFRawStream).contents);
    expect(cidToGid.length).toBe(131072);
    // Every CID maps to an empty glyph whose advance is the CID's width, never to .notdef.
    const gidOf = (code: number): number => cidToGid.readUInt16BE(2 * code);
    expect(gidOf(0x65e5)).toBe(1 + GLYPH_WIDTHS.indexOf(1000)); // 日
    expect(gidOf("W".charCodeAt(0))).toBe(1 + GLYPH_WIDTHS.indexOf(944));
    expect(Math.min(...Array.from({ length: 65536 }, (_, c) => gidOf(c)))).toBe(1);
    // Characters beyond the BMP get CIDs from the surrogate range, mapped back to them at close.
    const toUnicode = inflateSync((font.lookup(PDFName.of("ToUnicode")) as PDFRawStream).contents).toString("latin1");
    expect(toUnicode).toContain("2 beginbfchar\n<D800> <D83DDE00>\n<D801> <D840DC0B>\nendbfchar");
    expect(toUnicode).toContain("<0000> <00FF> <0000>");
    expect(toUnicode).not.toContain("<D800> <D8FF>");

    const ops = contents(0);
    expect(ops).toMatch(/BT 3 Tr \/F0 1 Tf/);
    expect(ops).toContain(`<${Buffer.from(CJK, "utf16le").swap16().toString("hex").toUpperCase()}> Tj`);
    expect(ops).not.toContain("<0301>"); // the zero-width run is left out
    expect(doc.getPages()[1]!.node.Resources()!.get(PDFName.of("Font"))).toBeUndefined();
  });

  it("stretches each run to its box: the Tm scale divides the box by the natural width", () => {
    const natural = cidsWidth([..."Hello searchable world"].map((c) => c.charCodeAt(0)));
    expect(natural).toBeCloseTo(10.114, 6); // Helvetica widths: H 722, e 556, l 222, ...
    const m = /([\d.]+) 0 0 12 72 700 Tm <0048/.exec(contents(0));
    expect(Number(m![1])).toBeCloseTo(150 / natural, 4);
    expect(advanceWidth("W".charCodeAt(0))).toBe(944);
    expect(advanceWidth(0x65e5)).toBe(1000);
    expect(advanceWidth(0x0301)).toBe(0);
  });

  it.skipIf(!hasPoppler)("extracts as the Unicode text that was written, where it was written (pdftotext)", () => {
    const out = execFileSync("pdftotext", ["-f", "1", "-l", "1", path, "-"], { encoding: "utf8" });
    for (const s of ["Hello searchable world", CJK, THAI, "Upwards", BEYOND_BMP]) expect(out).toContain(s);
    const bbox = execFileSync("pdftotext", ["-bbox", "-f", "1", "-l", "1", path, "-"], { encoding: "utf8" });
    const word = (w: string): [number, number, number, number] => {
      const m = new RegExp(`xMin="([\\d.]+)" yMin="([\\d.]+)" xMax="([\\d.]+)" yMax="([\\d.]+)">${w}<`).exec(bbox);
      return m!.slice(1).map(Number) as [number, number, number, number];
    };
    // "Hello" starts at x 72 on a baseline at y 700 (92 from the top), "world" ends at 72 + 150.
    const [x1, , , y2] = word("Hello");
    expect(x1).toBeCloseTo(72, 1);
    expect(792 - y2).toBeCloseTo(700 - 2.4, 0); // the descent is 0.2 em below the baseline
    expect(word("world")[2]).toBeCloseTo(222, 1);
    // The rotated run goes up from (300, 300) to 360, its ascent (9.6 pt) to the left, its descent (2.4 pt) to the right.
    const [rx1, ry1, rx2, ry2] = word("Upwards");
    expect([rx1, rx2, 792 - ry2, 792 - ry1].map((v) => Math.round(v))).toEqual([290, 302, 300, 360]);
  });

  it.skipIf(!hasPoppler)("draws nothing: the page renders as its (white) image alone (pdftoppm)", async () => {
    const png = execFileSync("pdftoppm", ["-r", "30", "-gray", "-png", "-f", "1", "-l", "1", path]);
    const { channels } = await sharp(png).stats();
    expect(channels[0]!.min).toBe(255);
  });

  it("writes URI and named-destination links with /Border [0 0 0]", () => {
    const annots = doc.getPages()[0]!.node.lookup(PDFName.of("Annots"), PDFArray);
    expect(annots.size()).toBe(2);
    const [uri, goTo] = [0, 1].map((i) => annots.lookup(i, PDFDict));
    expect(uri!.get(PDFName.of("Subtype"))?.toString()).toBe("/Link");
    expect(uri!.lookup(PDFName.of("Rect"), PDFArray).asArray().map((n) => (n as PDFNumber).asNumber())).toEqual([72, 690, 222, 712]);
    const action = lookupDict(uri!, "A");
    expect(action.get(PDFName.of("S"))?.toString()).toBe("/URI");
    expect(Buffer.from((action.get(PDFName.of("URI")) as PDFHexString).asBytes()).toString()).toBe("https://example.com/a?b=c&d");
    expect(goTo!.get(PDFName.of("Dest"))?.toString()).toBe("/to-page-3");
    expect(doc.getPages()[1]!.node.get(PDFName.of("Annots"))).toBeUndefined();
    const dests = doc.catalog.lookup(PDFName.of("Dests"), PDFDict);
    const dest = dests.lookup(PDFName.of("to-page-3"), PDFArray).asArray();
    expect(dest[0]).toBe(pageRef(2));
    expect(dest.slice(1).map(String)).toEqual(["/XYZ", "10", "720", "null"]);
  });

  it("writes the outline tree with counts, destinations, actions and styles", () => {
    const root = doc.catalog.lookup(PDFName.of("Outlines"), PDFDict);
    expect(root.lookup(PDFName.of("Count"), PDFNumber).asNumber()).toBe(3); // 2 top items + the open one's child
    const first = lookupDict(root, "First");
    const second = lookupDict(first, "Next");
    expect(root.lookup(PDFName.of("Last"))).toBe(second);
    expect(text(first.get(PDFName.of("Title")))).toBe("Part One — 第一");
    expect(first.lookup(PDFName.of("Count"), PDFNumber).asNumber()).toBe(1);
    expect(first.lookup(PDFName.of("F"), PDFNumber).asNumber()).toBe(2);
    expect(first.lookup(PDFName.of("Dest"), PDFArray).get(0)).toBe(pageRef(0));
    const child = lookupDict(first, "First");
    expect(child.lookup(PDFName.of("Parent"))).toBe(first);
    expect(child.lookup(PDFName.of("Dest"), PDFArray).asArray().map(String).slice(1)).toEqual(["/XYZ", "null", "500", "null"]);
    expect(child.lookup(PDFName.of("Dest"), PDFArray).get(0)).toBe(pageRef(2));
    expect(text(second.get(PDFName.of("Title")))).toBe("Closed");
    expect(second.get(PDFName.of("Dest"))).toBeUndefined();
    expect(second.lookup(PDFName.of("Count"), PDFNumber).asNumber()).toBe(-1);
    expect(lookupDict(lookupDict(second, "First"), "A").get(PDFName.of("S"))?.toString()).toBe("/URI");
  });

  it("checks its input: bad matrices, link rects and destinations throw", async () => {
    const image = await whiteJpeg();
    const w = await PdfStreamWriter.create(join(dir, "bad.pdf"));
    const full = { x: 0, y: 0, width: 10, height: 10 };
    await expect(w.addImagePage(10, 10, image, full, undefined, { text: [{ text: "x", matrix: [1, 0, 0, Number.NaN, 0, 0] }] })).rejects.toThrow(
      /matrix\[3\]/,
    );
    const w2 = await PdfStreamWriter.create(join(dir, "bad2.pdf"));
    await expect(
      w2.addImagePage(10, 10, image, full, undefined, { links: [{ rect: [0, 0, 1] as unknown as [number, number, number, number], uri: "x" }] }),
    ).rejects.toThrow(/rect/);
    const w3 = await PdfStreamWriter.create(join(dir, "bad3.pdf"));
    await w3.addImagePage(10, 10, image, full);
    await expect(w3.close(undefined, { dests: new Map([["x", { page: 1, left: 0, top: 0 }]]) })).rejects.toThrow(/page 1 is not in the document/);
    await Promise.all([w.abort(), w2.abort(), w3.abort()]);
  });
});
