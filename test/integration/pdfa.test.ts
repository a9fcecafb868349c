/**
 * `--pdfa` through the real CLI on real files. PDF/A-1b is judged by an independent validator,
 * Apache PDFBox Preflight; the rules of parts 2 and 3 that its 1b check does not cover are checked
 * here with pdf-lib and zlib (docs/outputs.md lists which check covers what).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFObject } from "pdf-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeG4 } from "../../src/codecs/ccitt/g4.js";
import { PdfStreamWriter } from "../../src/pdf/writer.js";
import { corpus, leftoverTempDirs, ROOT, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { makeNavigationPdf } from "../helpers/navigation.js";
import { HAS_PREFLIGHT, preflight } from "../helpers/preflight.js";

/** Document information that XML must escape, in a script beyond Latin, with a control character XML cannot hold. */
const AWKWARD = {
  title: 'Q&A <draft> "v2" — ร่าง\u0007 ünïcödé',
  author: "O'Brien & Søn",
  subject: "a > b\r\nsecond line",
  keywords: ["archive", "<pdf/a>"],
  creationDate: new Date("2019-12-31T23:59:58.750Z"),
};

function xmpOf(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  const start = text.indexOf("<?xpacket begin=");
  const end = text.indexOf('<?xpacket end="w"?>');
  expect(start, "an XMP packet").toBeGreaterThanOrEqual(0);
  return text.slice(start, end + 19);
}

/** The text of an XMP property: its `rdf:li` if it has one, with the XML entities decoded. */
function xmpValue(xmp: string, property: string): string | undefined {
  const body = new RegExp(`<${property}>([\\s\\S]*?)</${property}>`).exec(xmp)?.[1];
  if (body === undefined) return undefined;
  const inner = /<rdf:li[^>]*>([\s\S]*?)<\/rdf:li>/.exec(body)?.[1] ?? body;
  return inner.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

const key = (k: string): PDFName => PDFName.of(k);

function streamData(doc: PDFDocument, ref: PDFObject | undefined): Buffer {
  const stream = ref instanceof PDFRef ? doc.context.lookup(ref) : ref;
  if (!(stream instanceof PDFRawStream)) throw new Error("not a stream");
  return stream.dict.get(key("Filter")) ? inflateSync(stream.contents) : Buffer.from(stream.contents);
}

describe.skipIf(!HAS_PREFLIGHT)("--pdfa", () => {
  let dir: string;
  let navigation: string;
  let awkward: string;
  beforeAll(async () => {
    dir = scratch("pdfraster-pdfa-");
    navigation = join(dir, "navigation.pdf");
    awkward = join(dir, "awkward.pdf");
    await makeNavigationPdf(navigation);
    await makeNavigationPdf(awkward, AWKWARD);
  });
  const run = async (args: string[]): Promise<void> => {
    const result = await runCli([...args, "--workers", "2", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(leftoverTempDirs(dir)).toEqual([]);
  };

  it(
    "every combination is valid PDF/A-1b for PDFBox Preflight, and the same output without --pdfa is not",
    async () => {
      const keepAll = ["--keep-text", "--keep-links", "--keep-outline", "--keep-metadata"];
      const cases: Array<[string, string[]]> = [
        ["colour-jpeg", [SAMPLE, "--dpi", "40"]],
        ["gray", [SAMPLE, "--dpi", "40", "--color", "gray"]],
        ["gray-png", [SAMPLE, "--dpi", "40", "--color", "gray", "--format", "png"]],
        ["mono", [SAMPLE, "--dpi", "40", "--color", "mono"]],
        ["png", [SAMPLE, "--dpi", "40", "--format", "png"]],
        ["auto-1bit", [corpus("tracemonkey.pdf"), "--dpi", "300", "--format", "auto", "--pages", "1"]],
        ["auto", [corpus("tracemonkey.pdf"), "--dpi", "100", "--format", "auto", "--pages", "1,3"]],
        ["banded", [SAMPLE, "--dpi", "60", "--band-pixels", "20000", "--format", "auto"]],
        ["paper-margins", [SAMPLE, "--dpi", "30", "--size", "A5", "--margin", "10mm", "--background", "#d5dce6"]],
        ["keep-all", [navigation, "--dpi", "30", ...keepAll]],
        ["keep-awkward", [awkward, "--dpi", "30", ...keepAll]],
        ["keep-text-tracemonkey", [corpus("tracemonkey.pdf"), "--dpi", "30", "--keep-text", "--keep-metadata", "--pages", "1-3"]],
        ["keep-text-cjk", [corpus("ArabicCIDTrueType.pdf"), "--dpi", "30", "--keep-text"]],
      ];
      const outputs: string[] = [];
      const plain: string[] = [];
      for (const [name, [input, ...args]] of cases) {
        const out = join(dir, `${name}.pdf`);
        await run([input!, out, ...args, "--pdfa", "1b"]);
        outputs.push(out);
      }
      for (const [name, [input, ...args]] of cases.filter(([name]) => ["colour-jpeg", "gray", "keep-all"].includes(name))) {
        const out = join(dir, `plain-${name}.pdf`);
        await run([input!, out, ...args]);
        plain.push(out);
      }
      const results = preflight([...outputs, ...plain]);
      for (const out of outputs) expect(results.get(out), out).toEqual({ valid: true, errors: [] });
      // The check has teeth: a plain PDF lacks the output intent and the metadata.
      for (const out of plain) {
        expect(results.get(out)!.valid, out).toBe(false);
        expect(results.get(out)!.errors.join("\n")).toMatch(/DestOutputProfile is missing/);
      }
    },
    600_000, // 16 runs and one PDFBox batch; several minutes on a loaded 2-core machine
  );

  it("the XMP metadata says the part and conformance and agrees with the Info dictionary, escaped (--keep-metadata)", async () => {
    const out = join(dir, "metadata.pdf");
    await run([awkward, out, "--dpi", "20", "--keep-metadata", "--pdfa", "1b"]);
    const bytes = readFileSync(out);
    const xmp = xmpOf(bytes);
    expect(xmpValue(xmp, "pdfaid:part")).toBe("1");
    expect(xmpValue(xmp, "pdfaid:conformance")).toBe("B");
    expect(xmp).not.toMatch(/<\?xpacket[^?]*(bytes|encoding)=/);
    const doc = await PDFDocument.load(bytes, { updateMetadata: false });
    // The control character is gone from both, CRLF is LF in both, and the entities decode to the Info text.
    expect(doc.getTitle()).toBe('Q&A <draft> "v2" — ร่าง ünïcödé');
    expect(xmpValue(xmp, "dc:title")).toBe(doc.getTitle());
    expect(xmpValue(xmp, "dc:creator")).toBe("O'Brien & Søn");
    expect(doc.getAuthor()).toBe("O'Brien & Søn");
    expect(doc.getSubject()).toBe("a > b\nsecond line");
    expect(xmpValue(xmp, "dc:description")).toBe(doc.getSubject());
    expect(xmpValue(xmp, "pdf:Keywords")).toBe(doc.getKeywords());
    expect(doc.getKeywords()).toBe("archive <pdf/a>");
    expect(xmpValue(xmp, "pdf:Producer")).toBe(doc.getProducer());
    expect(doc.getProducer()).toBe("pdfraster");
    // Info keeps dates to the second; XMP says the same instant.
    expect(doc.getCreationDate()?.toISOString()).toBe("2019-12-31T23:59:58.000Z");
    expect(xmpValue(xmp, "xmp:CreateDate")).toBe("2019-12-31T23:59:58Z");
    expect(xmp).toContain("&lt;draft&gt;");
  });

  it("2b and 3b: the 1b file but for the part number, and the rules of parts 2 and 3 that PDFBox's 1b check does not cover", async () => {
    const args = [navigation, "--dpi", "30", "--keep-text", "--keep-links", "--keep-outline", "--keep-metadata", "--format", "auto"];
    const files: Record<string, Buffer> = {};
    for (const level of ["1b", "2b", "3b"]) {
      const out = join(dir, `level-${level}.pdf`);
      await run([args[0]!, out, ...args.slice(1), "--pdfa", level]);
      files[level] = readFileSync(out);
    }
    // Same bytes but the part and the ID: every rule PDFBox checked on the 1b file holds for these too.
    const neutral = (b: Buffer): string =>
      b.toString("latin1").replace(/<pdfaid:part>\d<\/pdfaid:part>/, "").replace(/\/ID \[<[0-9A-F]+> <[0-9A-F]+>\]/, "");
    expect(neutral(files["2b"]!)).toBe(neutral(files["1b"]!));
    expect(neutral(files["3b"]!)).toBe(neutral(files["1b"]!));
    expect(files["2b"]!.equals(files["3b"]!)).toBe(false);

    for (const [level, bytes] of Object.entries(files)) {
      const raw = bytes.toString("latin1");
      // 6.1.2: header %PDF-1.0..1.7 and a comment of four bytes above 127 on the next line.
      expect(raw).toMatch(/^%PDF-1\.[0-7]\n%[\x80-\xff]{4}\n/);
      // 6.1.3: an ID in the trailer, no Encrypt.
      expect(raw).toMatch(/trailer\n<<[^>]*\/ID \[<[0-9A-F]{32}> <[0-9A-F]{32}>\]/);
      expect(raw).not.toMatch(/\/Encrypt\b/);
      // 6.1.7 / 6.1.10: only Flate and DCT filters (no LZW, no Crypt, no external streams).
      for (const filter of raw.matchAll(/\/Filter \/(\w+)/g)) expect(["FlateDecode", "DCTDecode"], filter[1]).toContain(filter[1]);
      expect(raw).not.toMatch(/\/FFilter|\/FDecodeParms|\/F \(/);
      // 6.2.9 / 6.4: no transparency, no optional content, no alternate images, no PostScript, no JavaScript.
      expect(raw).not.toMatch(/\/SMask|\/Group|\/OCProperties|\/Alternates|\/PS\b|\/JavaScript|\/AA\b/);

      const doc = await PDFDocument.load(bytes, { updateMetadata: false });
      const xmp = xmpOf(bytes);
      expect(xmpValue(xmp, "pdfaid:part"), level).toBe(level[0]);
      expect(xmpValue(xmp, "pdfaid:conformance")).toBe("B");
      // 6.6.2.3: only properties of the predefined schemas, so no extension schema is needed.
      const namespaces = [...xmp.matchAll(/xmlns:(\w+)="([^"]+)"/g)].map((m) => m[2]);
      for (const ns of namespaces) {
        expect([
          "adobe:ns:meta/",
          "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
          "http://www.aiim.org/pdfa/ns/id/",
          "http://purl.org/dc/elements/1.1/",
          "http://ns.adobe.com/pdf/1.3/",
          "http://ns.adobe.com/xap/1.0/",
        ]).toContain(ns);
      }
      const metadata = doc.catalog.lookup(key("Metadata"));
      expect(metadata instanceof PDFRawStream && metadata.dict.get(key("Filter"))).toBe(undefined);

      // 6.2.3: one output intent, GTS_PDFA1, with an ICC profile (v2..v4, display or output class, RGB, N 3).
      const intents = doc.catalog.lookup(key("OutputIntents"), PDFArray);
      expect(intents.size()).toBe(1);
      const intent = intents.lookup(0, PDFDict);
      expect(intent.get(key("S"))?.toString()).toBe("/GTS_PDFA1");
      const profileRef = intent.get(key("DestOutputProfile"));
      const profileStream = doc.context.lookup(profileRef) as PDFRawStream;
      expect((profileStream.dict.get(key("N")) as PDFNumber).asNumber()).toBe(3);
      const profile = streamData(doc, profileRef);
      expect(profile.readUInt32BE(0)).toBe(profile.length);
      expect(profile[8]).toBeGreaterThanOrEqual(2);
      expect(profile[8]).toBeLessThanOrEqual(4);
      expect(profile.toString("latin1", 12, 20)).toMatch(/^(mntr|prtr)RGB $/);
      expect(profile.toString("latin1", 36, 40)).toBe("acsp");

      // 6.3: links are printable and not hidden; Link annotations need no appearance stream.
      let links = 0;
      for (const page of doc.getPages()) {
        for (const ref of page.node.lookupMaybe(key("Annots"), PDFArray)?.asArray() ?? []) {
          const annot = doc.context.lookup(ref, PDFDict);
          expect(annot.get(key("Subtype"))?.toString()).toBe("/Link");
          const flags = (annot.get(key("F")) as PDFNumber | undefined)?.asNumber() ?? 0;
          expect(flags & 4, "Print").toBe(4);
          expect(flags & (1 | 2 | 32 | 256), "Invisible, Hidden, NoView, ToggleNoView").toBe(0);
          links++;
        }
      }
      expect(links).toBeGreaterThan(0);

      // 6.2.11: the text layer's font is embedded, its CIDSet lists every CID the font program has,
      // and its /W widths agree with the program's advance widths for every CID.
      const fonts = [...raw.matchAll(/\/Subtype \/CIDFontType2/g)];
      expect(fonts.length).toBe(1);
      checkGlyphlessFont(doc);
    }
  });

  it(
    "the small encodings are valid PDF/A: JBIG2 against one /JBIG2Globals, flat-colour layers as JBIG2 image masks, mixed (JPEG under masks), CCITT G4; 2b and 3b the same file",
    async () => {
      // 1-bit pages at 300 DPI are JBIG2 against the document's one dictionary; a colour manual's pages are layers.
      const manual = join(dir, "manual-colour.pdf");
      execFileSync(process.execPath, [join(ROOT, "bench/documents.mjs"), "manual-colour", "2", manual]);
      const jbig2 = join(dir, "small-jbig2.pdf");
      const layers = join(dir, "small-layers.pdf");
      await run([corpus("tracemonkey.pdf"), jbig2, "--dpi", "300", "--format", "auto", "--pages", "1,3", "--pdfa", "1b"]);
      await run([manual, layers, "--dpi", "300", "--format", "auto", "--pdfa", "1b"]);
      const jbig2Raw = readFileSync(jbig2, "latin1");
      expect(jbig2Raw.match(/\/Filter \/JBIG2Decode \/DecodeParms << \/JBIG2Globals \d+ 0 R >>/g)).toHaveLength(2);
      const layersRaw = readFileSync(layers, "latin1");
      expect(layersRaw).toMatch(/\/ImageMask true/);
      expect(layersRaw).not.toMatch(/\/DCTDecode|\/Interpolate true/);
      // A brochure page (a photograph and text) is mixed: the photograph's JPEG under the text's masks.
      const brochure = join(dir, "brochure.pdf");
      execFileSync(process.execPath, [join(ROOT, "bench/documents.mjs"), "brochure", "1", brochure]);
      const mixed = join(dir, "small-mixed.pdf");
      await run([brochure, mixed, "--dpi", "300", "--format", "auto", "--pdfa", "1b"]);
      expect(readFileSync(mixed, "latin1")).toMatch(/\/DCTDecode[^]*\/ImageMask true/);
      // CCITT G4 is what `auto` keeps where JBIG2 codes larger (rare on rendered pages): the writer's G4 page with --pdfa's settings.
      const g4 = join(dir, "small-g4.pdf");
      const width = 203;
      const height = 100;
      const black = new Uint8Array(((width + 7) >> 3) * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if ((x * 7 + y * 3) % 23 < 5 || (y > 40 && y < 60)) black[y * ((width + 7) >> 3) + (x >> 3)]! |= 0x80 >> (x & 7);
      const writer = await PdfStreamWriter.create(g4, { pdfa: "1b" });
      await writer.addImagePage(203, 100, { kind: "g4", ...encodeG4({ width, height, black }) }, { x: 0, y: 0, width: 203, height: 100 });
      await writer.close();
      expect(readFileSync(g4, "latin1")).toMatch(/\/Filter \/CCITTFaxDecode/);

      const results = preflight([jbig2, layers, mixed, g4]);
      for (const out of [jbig2, layers, mixed, g4]) expect(results.get(out), out).toEqual({ valid: true, errors: [] });

      // Parts 2 and 3 allow every filter of ISO 32000-1 but LZW (6.1.7.2): the same file but for the part and the ID.
      const neutral = (b: Buffer): string =>
        b.toString("latin1").replace(/<pdfaid:part>\d<\/pdfaid:part>/, "").replace(/\/ID \[<[0-9A-F]+> <[0-9A-F]+>\]/, "");
      for (const level of ["2b", "3b"]) {
        const out = join(dir, `small-layers-${level}.pdf`);
        await run([manual, out, "--dpi", "300", "--format", "auto", "--pdfa", level]);
        expect(neutral(readFileSync(out)), level).toBe(neutral(readFileSync(layers)));
      }
    },
    300_000,
  );

  it("refuses --pdfa with image output, naming the option", async () => {
    const result = await runCli([SAMPLE, join(dir, "pages/"), "--pdfa", "2b", "--quiet"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/`pdfa` is for PDF output/);
    const bad = await runCli([SAMPLE, join(dir, "x.pdf"), "--pdfa", "2a", "--quiet"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/1b, 2b, 3b/);
  });
});

/** Checks the CIDFontType2 of the file against its own font program, with nothing from pdfraster's code. */
function checkGlyphlessFont(doc: PDFDocument): void {
  const cidFont = doc.context
    .enumerateIndirectObjects()
    .map(([, object]) => object)
    .find((object): object is PDFDict => object instanceof PDFDict && object.get(key("Subtype"))?.toString() === "/CIDFontType2")!;
  const descriptor = cidFont.lookup(key("FontDescriptor"), PDFDict);
  const program = streamData(doc, descriptor.get(key("FontFile2")));
  const cidSet = streamData(doc, descriptor.get(key("CIDSet")));
  const cidToGid = streamData(doc, cidFont.get(key("CIDToGIDMap")));
  const tables = new Map<string, Buffer>();
  for (let i = 0; i < program.readUInt16BE(4); i++) {
    const at = 12 + 16 * i;
    const offset = program.readUInt32BE(at + 8);
    tables.set(program.toString("latin1", at, at + 4), program.subarray(offset, offset + program.readUInt32BE(at + 12)));
  }
  const unitsPerEm = tables.get("head")!.readUInt16BE(18);
  const numGlyphs = tables.get("maxp")!.readUInt16BE(4);
  const longMetrics = tables.get("hhea")!.readUInt16BE(34);
  const hmtx = tables.get("hmtx")!;
  const advance = (gid: number): number => hmtx.readUInt16BE(4 * Math.min(gid, longMetrics - 1));
  // /W: [first [w w ...]] or first last w, with /DW for the rest.
  const widths = new Map<number, number>();
  const w = cidFont.lookup(key("W"), PDFArray).asArray();
  for (let i = 0; i < w.length; ) {
    const first = (w[i] as PDFNumber).asNumber();
    const next = w[i + 1];
    if (next instanceof PDFArray) {
      next.asArray().forEach((v, j) => widths.set(first + j, (v as PDFNumber).asNumber()));
      i += 2;
    } else {
      const last = (next as PDFNumber).asNumber();
      for (let cid = first; cid <= last; cid++) widths.set(cid, (w[i + 2] as PDFNumber).asNumber());
      i += 3;
    }
  }
  const dw = (cidFont.get(key("DW")) as PDFNumber).asNumber();
  expect(cidToGid.length).toBe(65536 * 2);
  let mismatches = 0;
  for (let cid = 0; cid < 65536; cid++) {
    const gid = cidToGid.readUInt16BE(cid * 2);
    expect(gid).toBeLessThan(numGlyphs);
    const present = gid !== 0;
    const inSet = ((cidSet[cid >> 3] ?? 0) & (0x80 >> (cid & 7))) !== 0;
    if (present !== inSet) mismatches++;
    if (Math.abs((widths.get(cid) ?? dw) - (advance(gid) * 1000) / unitsPerEm) > 1) mismatches++;
  }
  expect(mismatches).toBe(0);
}
