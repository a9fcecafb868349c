/**
 * What a PDF/A file adds to an image-only PDF: the identification and document information as XMP
 * metadata (agreeing with the Info dictionary), and an sRGB output intent. Pure: strings and bytes.
 * The writer (writer.ts) places them; docs/outputs.md says which validator checks which rule.
 */
import type { DocumentInfo } from "./writer.js";
import { SRGB_CONDITION } from "./srgb-profile.js";

/** The PDF/A parts and conformance levels written: basic (visual appearance) conformance of parts 1, 2 and 3. */
export const PDFA_LEVELS = ["1b", "2b", "3b"] as const;
export type PdfaLevel = (typeof PDFA_LEVELS)[number];

/** The Producer of a PDF/A file (Info and XMP), when none is given. */
export const PDFA_PRODUCER = "pdfraster";

/**
 * Document information that can be written identically in the Info dictionary and in XMP: XML 1.0
 * cannot hold C0 controls (other than tab and line feed), lone surrogates or U+FFFE/U+FFFF, and
 * an XML parser turns CR and CRLF into LF; so they are dropped or turned into LF in both.
 */
export function archivalInfo(info: DocumentInfo | undefined): DocumentInfo {
  const clean = (s: string | undefined): string | undefined =>
    // eslint-disable-next-line no-control-regex
    s === undefined ? undefined : s.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|\p{Cs}/gu, "");
  const out: DocumentInfo = { producer: clean(info?.producer) ?? PDFA_PRODUCER };
  for (const key of ["title", "author", "subject", "keywords"] as const) {
    const value = clean(info?.[key]);
    if (value !== undefined) out[key] = value;
  }
  if (info?.creationDate) out.creationDate = wholeSeconds(info.creationDate);
  return out;
}

/** The Info dictionary keeps dates to the second: XMP must say the same instant. */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An XMP date: the Info dictionary's UTC date, to the second. */
function xmpDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The XMP packet of the document's Metadata stream (UTF-8): PDF/A identification, and each Info
 * entry's XMP equivalent (ISO 19005-1 6.7.3: Title dc:title, Author dc:creator, Subject
 * dc:description, Keywords pdf:Keywords, Producer pdf:Producer, CreationDate xmp:CreateDate).
 * `info` must come from {@link archivalInfo}. No `bytes` or `encoding` in the packet header
 * (PDF/A-1 6.7.5), and only properties of the predefined schemas, so no extension schema is needed.
 */
export function xmpPacket(level: PdfaLevel, info: DocumentInfo): Buffer {
  const alt = (s: string): string => `<rdf:Alt><rdf:li xml:lang="x-default">${xml(s)}</rdf:li></rdf:Alt>`;
  const dc = ["<dc:format>application/pdf</dc:format>"];
  if (info.title !== undefined) dc.push(`<dc:title>${alt(info.title)}</dc:title>`);
  if (info.author !== undefined) dc.push(`<dc:creator><rdf:Seq><rdf:li>${xml(info.author)}</rdf:li></rdf:Seq></dc:creator>`);
  if (info.subject !== undefined) dc.push(`<dc:description>${alt(info.subject)}</dc:description>`);
  const pdf: string[] = [];
  if (info.producer !== undefined) pdf.push(`<pdf:Producer>${xml(info.producer)}</pdf:Producer>`);
  if (info.keywords !== undefined) pdf.push(`<pdf:Keywords>${xml(info.keywords)}</pdf:Keywords>`);
  const xmp = info.creationDate ? [`<xmp:CreateDate>${xmpDate(info.creationDate)}</xmp:CreateDate>`] : [];
  const description = (ns: string, uri: string, properties: string[]): string[] =>
    properties.length === 0 ? [] : [`<rdf:Description rdf:about="" xmlns:${ns}="${uri}">`, ...properties.map((p) => ` ${p}`), "</rdf:Description>"];
  const lines = [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    ...description("pdfaid", "http://www.aiim.org/pdfa/ns/id/", [`<pdfaid:part>${level[0]}</pdfaid:part>`, "<pdfaid:conformance>B</pdfaid:conformance>"]),
    ...description("dc", "http://purl.org/dc/elements/1.1/", dc),
    ...description("pdf", "http://ns.adobe.com/pdf/1.3/", pdf),
    ...description("xmp", "http://ns.adobe.com/xap/1.0/", xmp),
    "</rdf:RDF>",
    "</x:xmpmeta>",
    // Room to edit the packet in place, as the XMP specification recommends.
    ...Array<string>(20).fill(" ".repeat(99)),
    '<?xpacket end="w"?>',
  ];
  return Buffer.from(lines.join("\n"), "utf8");
}

/** The entries of the output intent dictionary, after `/DestOutputProfile`'s reference is added by the writer. */
export function outputIntentEntries(): string {
  const condition = `(${SRGB_CONDITION})`;
  return `/Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier ${condition} /RegistryName (http://www.color.org) /Info ${condition}`;
}
