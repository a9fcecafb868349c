import { readFileSync } from "node:fs";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, type PDFPage } from "pdf-lib";
import { crc32, inflateSync } from "node:zlib";
import sharp from "sharp";
import { g4ToTiff } from "../../dist/codecs/ccitt/tiff.js";
import { jbig2dec } from "./jbig2.js";

export interface ImageInfo {
  width: number;
  height: number;
  filter: string;
  colorSpace: string;
  bitsPerComponent: number;
  /** The /DecodeParms dictionary as PDF syntax, or "" without one. */
  decodeParms: string;
  data: Uint8Array;
  /** /JBIG2Decode: the /JBIG2Globals stream's contents, when the image refers to one. */
  globals?: Uint8Array;
}

export interface PageInfo {
  width: number;
  height: number;
  images: ImageInfo[];
  /** The `cm` matrix that places the (single) image, from the content stream. */
  placement: [number, number, number, number, number, number] | undefined;
  /** The page's content stream, decompressed. */
  content: string;
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
    const stream = doc.context.lookup(ref);
    if (!(stream instanceof PDFRawStream)) continue;
    const dict = stream.dict;
    if (dict.get(PDFName.of("Subtype"))?.toString() !== "/Image") continue;
    const num = (key: string): number => (dict.lookup(PDFName.of(key), PDFNumber)).asNumber();
    const parms = dict.lookup(PDFName.of("DecodeParms"));
    const globalsRef = parms instanceof PDFDict ? parms.get(PDFName.of("JBIG2Globals")) : undefined;
    const globals = globalsRef ? doc.context.lookup(globalsRef) : undefined;
    images.push({
      ...(globals instanceof PDFRawStream ? { globals: globals.contents } : {}),
      width: num("Width"),
      height: num("Height"),
      filter: name(dict.lookup(PDFName.of("Filter"))),
      colorSpace: name(dict.lookup(PDFName.of("ColorSpace"))),
      bitsPerComponent: num("BitsPerComponent"),
      decodeParms: dict.lookup(PDFName.of("DecodeParms"))?.toString() ?? "",
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
  return { width, height, images, placement, content };
}

/** Parses an output PDF with pdf-lib: page sizes, their images and the image placement. */
export async function inspectPdf(path: string): Promise<PdfInfo> {
  const bytes = readFileSync(path);
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  return { pages: doc.getPages().map((page) => pageInfo(doc, page)), raw: bytes.toString("latin1") };
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * Decodes an embedded page image to raw pixels with sharp: JPEG as it is, Flate data (PNG IDAT with
 * the PNG predictor, as pdfraster writes it) by wrapping it back into a PNG file, CCITT Group 4 data
 * (/K -1 /BlackIs1 false, as pdfraster writes it) by wrapping it into a TIFF file that libtiff decodes.
 * Gray images give one channel, with 1- and 4-bit samples scaled to 0-255.
 */
export async function decodeImage(image: ImageInfo): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  let input: Buffer;
  if (image.filter === "/DCTDecode") {
    input = Buffer.from(image.data);
  } else if (image.filter === "/FlateDecode" && (image.colorSpace === "/DeviceGray" || image.colorSpace === "/DeviceRGB")) {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(image.width, 0);
    ihdr.writeUInt32BE(image.height, 4);
    ihdr[8] = image.bitsPerComponent;
    ihdr[9] = image.colorSpace === "/DeviceGray" ? 0 : 2;
    const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    input = Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", image.data), chunk("IEND", new Uint8Array())]);
  } else if (image.filter === "/CCITTFaxDecode") {
    const parms = `<<\n/K -1\n/Columns ${image.width}\n/Rows ${image.height}\n/BlackIs1 false\n>>`;
    if (image.decodeParms !== parms) throw new Error(`cannot decode CCITT data with ${image.decodeParms}`);
    input = Buffer.from(g4ToTiff({ width: image.width, height: image.height, data: image.data }));
  } else if (image.filter === "/JBIG2Decode") {
    // Debian's jbig2dec (1 = black) on the embedded stream and the globals: 0/255 gray, as for the other 1-bit images.
    const bitmap = jbig2dec(image.data, image.globals ?? new Uint8Array(0));
    const gray = Buffer.alloc(bitmap.width * bitmap.height);
    for (let y = 0; y < bitmap.height; y++) {
      for (let x = 0; x < bitmap.width; x++) gray[y * bitmap.width + x] = (bitmap.data[y * bitmap.stride + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 0 : 255;
    }
    return { data: gray, width: bitmap.width, height: bitmap.height, channels: 1 };
  } else {
    throw new Error(`cannot decode a ${image.filter} ${image.colorSpace} image`);
  }
  let pipeline = sharp(input);
  if (image.colorSpace === "/DeviceGray") pipeline = pipeline.extractChannel(0);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}
