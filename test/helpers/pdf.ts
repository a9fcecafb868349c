import { readFileSync } from "node:fs";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFPage } from "pdf-lib";
import { inflateSync } from "node:zlib";

export interface ImageInfo {
  width: number;
  height: number;
  filter: string;
  colorSpace: string;
  bitsPerComponent: number;
  data: Uint8Array;
}

export interface PageInfo {
  width: number;
  height: number;
  images: ImageInfo[];
  /** The `cm` matrix that places the (single) image, from the content stream. */
  placement: [number, number, number, number, number, number] | undefined;
}

export interface PdfInfo {
  pages: PageInfo[];
  /** Every /Type or key name used anywhere in the file, to look for fonts, forms, scripts, ... */
  raw: string;
}

function name(value: unknown): string {
  if (value instanceof PDFName) return value.asString();
  if (value instanceof PDFArray) return value.asArray().map(name).join(" ");
  return String(value);
}

function pageInfo(doc: PDFDocument, page: PDFPage): PageInfo {
  const { width, height } = page.getSize();
  const images: ImageInfo[] = [];
  const resources = page.node.Resources();
  const xobjects = resources?.lookupMaybe(PDFName.of("XObject"), PDFDict);
  for (const [, ref] of xobjects?.entries() ?? []) {
    const stream = doc.context.lookup(ref as PDFRef);
    if (!(stream instanceof PDFRawStream)) continue;
    const dict = stream.dict;
    if (dict.get(PDFName.of("Subtype"))?.toString() !== "/Image") continue;
    const num = (key: string): number => (dict.lookup(PDFName.of(key), PDFNumber) as PDFNumber).asNumber();
    images.push({
      width: num("Width"),
      height: num("Height"),
      filter: name(dict.lookup(PDFName.of("Filter"))),
      colorSpace: name(dict.lookup(PDFName.of("ColorSpace"))),
      bitsPerComponent: num("BitsPerComponent"),
      data: stream.contents,
    });
  }
  let content = "";
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((r) => doc.context.lookup(r)) : [contents];
  for (const s of streams) {
    if (!(s instanceof PDFRawStream)) continue;
    const filtered = s.dict.get(PDFName.of("Filter"));
    content += Buffer.from(filtered ? inflateSync(s.contents) : s.contents).toString("latin1");
  }
  const cm = /([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+cm\s*\/\S+\s+Do/.exec(content);
  const placement = cm ? (cm.slice(1, 7).map(Number) as PageInfo["placement"]) : undefined;
  return { width, height, images, placement };
}

/** Parses an output PDF with pdf-lib: page sizes, their images and the image placement. */
export async function inspectPdf(path: string): Promise<PdfInfo> {
  const bytes = readFileSync(path);
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  return { pages: doc.getPages().map((page) => pageInfo(doc, page)), raw: bytes.toString("latin1") };
}
