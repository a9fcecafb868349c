/**
 * A Group 4 image as a minimal TIFF file (baseline TIFF 6.0 section 11: one strip, Compression 4,
 * PhotometricInterpretation 0 WhiteIsZero, little-endian), and back. The render processes write
 * their G4 pages in this form: a standard file that any TIFF reader (tiffinfo, tiffcp) opens, and
 * that carries its own size, so the assembler reads it like a PNG or JPEG page file.
 */
import type { G4Image } from "./g4.js";

const TAG = { width: 256, height: 257, bitsPerSample: 258, compression: 259, photometric: 262, stripOffsets: 273, samplesPerPixel: 277, rowsPerStrip: 278, stripByteCounts: 279 } as const;
const SHORT = 3;
const LONG = 4;
const ENTRIES = 9;
/** Header (8) + entry count (2) + entries + next-IFD offset (4): the strip follows. */
const DATA_AT = 8 + 2 + ENTRIES * 12 + 4;
const G4_COMPRESSION = 4;
const WHITE_IS_ZERO = 0;

/** The TIFF file holding `image`. */
export function g4ToTiff(image: G4Image): Uint8Array {
  const { width, height, data } = image;
  const file = Buffer.alloc(DATA_AT + data.length);
  file.write("II", 0, "latin1");
  file.writeUInt16LE(42, 2);
  file.writeUInt32LE(8, 4);
  file.writeUInt16LE(ENTRIES, 8);
  const entries: [number, number, number][] = [
    [TAG.width, LONG, width],
    [TAG.height, LONG, height],
    [TAG.bitsPerSample, SHORT, 1],
    [TAG.compression, SHORT, G4_COMPRESSION],
    [TAG.photometric, SHORT, WHITE_IS_ZERO],
    [TAG.stripOffsets, LONG, DATA_AT],
    [TAG.samplesPerPixel, SHORT, 1],
    [TAG.rowsPerStrip, LONG, height],
    [TAG.stripByteCounts, LONG, data.length],
  ];
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    file.writeUInt16LE(tag, at);
    file.writeUInt16LE(type, at + 2);
    file.writeUInt32LE(1, at + 4);
    if (type === SHORT) file.writeUInt16LE(value, at + 8);
    else file.writeUInt32LE(value, at + 8);
  });
  file.writeUInt32LE(0, DATA_AT - 4);
  file.set(data, DATA_AT);
  return file;
}

/** Reads a file written by {@link g4ToTiff} (the coded data is a view into `file`); anything else throws. */
export function tiffToG4(file: Uint8Array): G4Image {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < DATA_AT || buf.toString("latin1", 0, 2) !== "II" || buf.readUInt16LE(2) !== 42) throw new Error("Not a little-endian TIFF file");
  if (buf.readUInt32LE(4) !== 8 || buf.readUInt16LE(8) !== ENTRIES) throw new Error("Unsupported TIFF: not a single G4 strip as pdfraster writes it");
  const value = new Map<number, number>();
  for (let i = 0; i < ENTRIES; i++) {
    const at = 10 + i * 12;
    const type = buf.readUInt16LE(at + 2);
    if (buf.readUInt32LE(at + 4) !== 1 || (type !== SHORT && type !== LONG)) throw new Error("Unsupported TIFF: a tag with several values");
    value.set(buf.readUInt16LE(at), type === SHORT ? buf.readUInt16LE(at + 8) : buf.readUInt32LE(at + 8));
  }
  const width = value.get(TAG.width) ?? 0;
  const height = value.get(TAG.height) ?? 0;
  const bytes = value.get(TAG.stripByteCounts) ?? 0;
  if (value.get(TAG.compression) !== G4_COMPRESSION || value.get(TAG.photometric) !== WHITE_IS_ZERO || value.get(TAG.bitsPerSample) !== 1) {
    throw new Error("Unsupported TIFF: not a 1-bit WhiteIsZero Group 4 image");
  }
  if (width < 1 || height < 1 || value.get(TAG.rowsPerStrip) !== height) throw new Error(`Invalid TIFF: ${width}x${height} pixels in one strip`);
  if (value.get(TAG.stripOffsets) !== DATA_AT || bytes < 1 || DATA_AT + bytes !== buf.length) throw new Error("Invalid TIFF: the strip is not the rest of the file");
  return { width, height, data: buf.subarray(DATA_AT) };
}
