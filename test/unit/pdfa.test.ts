import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber } from "pdf-lib";
import { afterAll, describe, expect, it } from "vitest";
import { archivalInfo, xmpPacket } from "../../src/pdf/pdfa.js";
import { srgbProfile } from "../../src/pdf/srgb-profile.js";
import { PdfStreamWriter } from "../../src/pdf/writer.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-pdfa-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the bundled sRGB profile", () => {
  it("is the Compact-ICC-Profiles sRGB-v2-magic.icc, an ICC v2 RGB display profile", () => {
    const profile = srgbProfile();
    expect(createHash("sha256").update(profile).digest("hex")).toBe("af4efe28f6d311799865f325ba39184a2e978b113ca74124d60af7de22b105f4");
    expect(profile.readUInt32BE(0)).toBe(profile.length);
    expect(profile[8]).toBe(2);
    expect(profile.toString("latin1", 12, 20)).toBe("mntrRGB ");
  });
});

describe("archivalInfo / xmpPacket", () => {
  it("drops what XML cannot hold and normalizes line ends, in one value for Info and XMP", () => {
    const info = archivalInfo({ title: "a\u0000b\u001fc\ud800d\r\ne\rf", creationDate: new Date("2020-01-01T00:00:00.999Z") });
    expect(info).toEqual({ title: "abcd\ne\nf", producer: "pdfraster", creationDate: new Date("2020-01-01T00:00:00Z") });
    expect(archivalInfo(undefined)).toEqual({ producer: "pdfraster" });
    expect(archivalInfo({ title: "😀 ok" }).title).toBe("😀 ok"); // a surrogate pair is one character, kept
  });

  it("escapes markup and writes only the entries that are there", () => {
    const xmp = xmpPacket("2b", archivalInfo({ title: "<&>", author: '"x"' })).toString("utf8");
    expect(xmp).toContain("<pdfaid:part>2</pdfaid:part>");
    expect(xmp).toContain("&lt;&amp;&gt;");
    expect(xmp).toContain("&quot;x&quot;");
    expect(xmp).not.toMatch(/dc:description|pdf:Keywords|xmp:CreateDate/);
    expect(xmp.startsWith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>')).toBe(true);
    expect(xmp.endsWith('<?xpacket end="w"?>')).toBe(true);
  });
});

describe("PdfStreamWriter page tree", () => {
  it("keeps every Kids array under PDF/A-1's 8191 elements: 9000 pages in nodes of 4096", async () => {
    const path = join(dir, "many.pdf");
    const writer = await PdfStreamWriter.create(path, { pdfa: "1b" });
    for (let i = 0; i < 9000; i++) void writer.addBlankPage(100 + (i % 7), 100);
    await writer.close();
    const doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false });
    expect(doc.getPageCount()).toBe(9000);
    expect(doc.getPages().map((p) => p.getWidth()).slice(4094, 4099)).toEqual([4094, 4095, 4096, 4097, 4098].map((i) => 100 + (i % 7)));
    const root = doc.catalog.lookup(PDFName.of("Pages"), PDFDict);
    const kids = root.lookup(PDFName.of("Kids"), PDFArray);
    expect(kids.size()).toBe(4096 + 2);
    expect((root.get(PDFName.of("Count")) as PDFNumber).asNumber()).toBe(9000);
    const last = doc.context.lookup(kids.get(kids.size() - 1), PDFDict);
    expect(last.lookup(PDFName.of("Kids"), PDFArray).size()).toBe(9000 - 2 * 4096);
  });

  it("writes a flat tree up to 4096 pages, as before", async () => {
    const path = join(dir, "flat.pdf");
    const writer = await PdfStreamWriter.create(path);
    for (let i = 0; i < 4096; i++) void writer.addBlankPage(100, 100);
    await writer.close();
    const doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false });
    expect(doc.catalog.lookup(PDFName.of("Pages"), PDFDict).lookup(PDFName.of("Kids"), PDFArray).size()).toBe(4096);
    expect(readFileSync(path, "latin1")).not.toMatch(/\/Metadata|\/OutputIntents/);
  });
});
