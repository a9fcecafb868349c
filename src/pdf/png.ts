import { readFile } from "node:fs/promises";
import type { PageImage } from "./writer.js";

/** A PNG ready to embed: its IDAT data plus what the PDF image dictionary needs. */
export type PngImage = Extract<PageImage, { kind: "png" }>;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads a PNG file for {@link parsePngForPdf}; errors name the file. */
export async function readPngForPdf(path: string): Promise<PngImage> {
  const buf = await readFile(path);
  try {
    return parsePngForPdf(buf);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Splits a PNG into the parts a PDF embeds without decoding: IHDR fields, the palette and the
 * concatenated IDAT data. Supports non-interlaced gray (1, 2, 4 or 8 bit), RGB (8 bit) and palette
 * (1, 2, 4 or 8 bit) images without transparency; anything else throws. CRCs are not checked.
 */
export function parsePngForPdf(buf: Uint8Array): PngImage {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error("Not a PNG file (bad signature)");
  let header: { width: number; height: number; depth: number; colorType: number; interlace: number } | undefined;
  let palette: Uint8Array | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) throw new Error("Truncated PNG: no IEND chunk");
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (data.length !== length || at + 12 + length > bytes.length) throw new Error(`Truncated PNG in ${type} chunk`);
    at += 12 + length;
    if (type === "IHDR") {
      if (length < 13) throw new Error("Invalid PNG: short IHDR chunk");
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8]!, colorType: data[9]!, interlace: data[12]! };
    } else if (!header) {
      throw new Error("Invalid PNG: IHDR is not the first chunk");
    } else if (type === "PLTE") {
      palette = data;
    } else if (type === "tRNS") {
      throw new Error("Unsupported PNG: transparency (tRNS)");
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
  }
  if (!header) throw new Error("Invalid PNG: no IHDR chunk");
  const { width, height, depth, colorType, interlace } = header;
  const what = `colour type ${colorType} at ${depth} bit`;
  if (interlace !== 0) throw new Error("Unsupported PNG: interlaced");
  if (![0, 2, 3].includes(colorType)) throw new Error(`Unsupported PNG: ${what} (only gray, RGB or palette without alpha)`);
  if (depth !== 8 && !([1, 2, 4].includes(depth) && colorType !== 2)) {
    throw new Error(`Unsupported PNG: ${what} (only 8 bit, or 1, 2 or 4 bit gray/palette)`);
  }
  if (colorType === 3 && !palette) throw new Error("Invalid PNG: palette image without PLTE chunk");
  if (idat.length === 0) throw new Error("Invalid PNG: no IDAT chunk");
  const image: PngImage = {
    kind: "png",
    idat: idat.length === 1 ? idat[0]! : Buffer.concat(idat),
    width,
    height,
    components: colorType === 2 ? 3 : 1,
    bitsPerComponent: depth as 1 | 2 | 4 | 8,
  };
  if (colorType === 3) image.palette = palette;
  return image;
}

/** SOF markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
const isSof = (marker: number): boolean => marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);

/** Reads width, height and component count from a JPEG's start-of-frame segment. */
export function jpegInfo(buf: Uint8Array): { width: number; height: number; components: 1 | 3 | 4 } {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error("Not a JPEG file (no SOI marker)");
  for (let at = 2; ; ) {
    while (bytes[at] === 0xff && bytes[at + 1] === 0xff) at++; // fill bytes
    if (at + 4 > bytes.length) throw new Error("Truncated JPEG: no frame header");
    const marker = bytes[at + 1]!;
    if (bytes[at] !== 0xff) throw new Error(`Invalid JPEG: expected a marker at byte ${at}`);
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // standalone markers have no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw new Error("Invalid JPEG: image data before the frame header");
    const length = bytes.readUInt16BE(at + 2);
    if (isSof(marker)) {
      if (at + 10 > bytes.length) throw new Error("Truncated JPEG in frame header");
      const [height, width, components] = [bytes.readUInt16BE(at + 5), bytes.readUInt16BE(at + 7), bytes[at + 9]!];
      if (width === 0 || height === 0) throw new Error(`Unsupported JPEG: frame size ${width}x${height}`);
      if (components !== 1 && components !== 3 && components !== 4) throw new Error(`Unsupported JPEG: ${components} components`);
      return { width, height, components };
    }
    at += 2 + length;
  }
}
