/**
 * Reads one page of a classic TIFF file (the single-page files the workers write with libvips):
 * its tags, with their values in little-endian order, and its strips, ready to be copied into a
 * multi-page file by {@link TiffStreamWriter}. Pure: bytes in, structure out; every offset is checked.
 */

/** One IFD entry; `value` holds `count` values of `type`, little-endian. */
export interface TiffField {
  tag: number;
  type: number;
  count: number;
  value: Buffer;
}

export interface TiffPage {
  /** Every tag but the strip pointers and other pointers into the file (see DROPPED). */
  fields: TiffField[];
  /** The compressed strips, top to bottom (views of the input). */
  strips: Buffer[];
}

export const TAG = {
  newSubfileType: 254,
  imageWidth: 256,
  imageLength: 257,
  stripOffsets: 273,
  stripByteCounts: 279,
  xResolution: 282,
  yResolution: 283,
  resolutionUnit: 296,
  pageNumber: 297,
} as const;

/** Bytes per value of each TIFF type, and the size of the unit that byte order applies to. */
const TYPES: Record<number, { size: number; unit: number }> = {
  1: { size: 1, unit: 1 }, // BYTE
  2: { size: 1, unit: 1 }, // ASCII
  3: { size: 2, unit: 2 }, // SHORT
  4: { size: 4, unit: 4 }, // LONG
  5: { size: 8, unit: 4 }, // RATIONAL: two LONGs
  6: { size: 1, unit: 1 }, // SBYTE
  7: { size: 1, unit: 1 }, // UNDEFINED
  8: { size: 2, unit: 2 }, // SSHORT
  9: { size: 4, unit: 4 }, // SLONG
  10: { size: 8, unit: 4 }, // SRATIONAL
  11: { size: 4, unit: 4 }, // FLOAT
  12: { size: 8, unit: 8 }, // DOUBLE
};

/**
 * Pointers into the source file, meaningless once the page moves: the strips (rebuilt by the
 * writer), and sub-IFDs, EXIF, GPS and interoperability IFDs and free lists (left out).
 */
const DROPPED = new Set([TAG.newSubfileType, TAG.stripOffsets, TAG.stripByteCounts, TAG.pageNumber, 288, 289, 330, 34665, 34853, 40965]);
const TILES = new Set([322, 323, 324, 325]);

export function typeSize(type: number): number {
  const info = TYPES[type];
  if (!info) throw new Error(`TIFF field type ${type} is not supported`);
  return info.size;
}

/** Parses the first IFD of a classic (not Big) TIFF, little- or big-endian. */
export function readTiffPage(data: Buffer): TiffPage {
  const order = data.toString("latin1", 0, 2);
  if (data.length < 8 || (order !== "II" && order !== "MM")) throw new Error("not a TIFF file");
  const le = order === "II";
  const u16 = (at: number): number => (le ? data.readUInt16LE(at) : data.readUInt16BE(at));
  const u32 = (at: number): number => (le ? data.readUInt32LE(at) : data.readUInt32BE(at));
  if (u16(2) !== 42) throw new Error(u16(2) === 43 ? "BigTIFF pages are not supported" : "not a classic TIFF file");
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > data.length) throw new Error("TIFF IFD offset out of range");
  const entries = u16(ifd);
  if (ifd + 2 + 12 * entries + 4 > data.length) throw new Error("TIFF IFD runs past the end of the file");
  const fields: TiffField[] = [];
  let offsets: number[] | undefined;
  let counts: number[] | undefined;
  for (let i = 0; i < entries; i++) {
    const at = ifd + 2 + 12 * i;
    const tag = u16(at);
    const type = u16(at + 2);
    const count = u32(at + 4);
    if (TILES.has(tag)) throw new Error("tiled TIFF pages are not supported");
    const { size, unit } = TYPES[type] ?? { size: 0, unit: 1 };
    if (size === 0) continue; // an unknown type: the specification says to skip the field
    const length = size * count;
    const start = length <= 4 ? at + 8 : u32(at + 8);
    if (start + length > data.length) throw new Error(`TIFF tag ${tag} runs past the end of the file`);
    const value = Buffer.from(data.subarray(start, start + length));
    if (!le && unit > 1) swapUnits(value, unit);
    const numbers = (): number[] => Array.from({ length: count }, (_, k) => (size === 2 ? value.readUInt16LE(2 * k) : value.readUInt32LE(4 * k)));
    if (tag === TAG.stripOffsets) offsets = numbers();
    else if (tag === TAG.stripByteCounts) counts = numbers();
    else if (!DROPPED.has(tag)) fields.push({ tag, type, count, value });
  }
  if (!offsets || !counts || offsets.length !== counts.length || offsets.length === 0) throw new Error("TIFF page has no strips");
  const strips = offsets.map((offset, i) => {
    const end = offset + counts[i]!;
    if (end > data.length) throw new Error(`TIFF strip ${i} runs past the end of the file`);
    return data.subarray(offset, end);
  });
  return { fields, strips };
}

function swapUnits(value: Buffer, unit: number): void {
  if (unit === 2) value.swap16();
  else if (unit === 4) value.swap32();
  else value.swap64();
}
