/** JBIG2 segment syntax (T.88 clause 7): headers, the file header and the small fixed segments. */

export const SegmentType = {
  symbolDictionary: 0,
  immediateLosslessTextRegion: 7,
  immediateLosslessGenericRegion: 39,
  pageInformation: 48,
  endOfPage: 49,
  endOfFile: 51,
} as const;

export interface Segment {
  number: number;
  type: number;
  /** 0 for a segment of the PDF globals stream (no page), 1 for the page of an embedded stream. */
  page: number;
  referredTo: readonly number[];
  data: Uint8Array;
}

/** A big-endian byte writer that grows as needed. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  u8(value: number): this {
    this.room(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    return this.u8(value >>> 8).u8(value);
  }

  u32(value: number): this {
    return this.u16(value >>> 16).u16(value & 0xffff);
  }

  bytes(data: Uint8Array): this {
    this.room(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function writeSegment(out: ByteWriter, segment: Segment): void {
  const { number, type, page, referredTo, data } = segment;
  for (const referred of referredTo) {
    if (referred >= number) throw new RangeError(`JBIG2 segment ${number} refers to a later segment ${referred}`);
  }
  out.u32(number);
  out.u8(type | (page > 0xff ? 0x40 : 0));
  // Referred-to segment count and retention flags (7.2.4); retention bits are left 0, decoders in PDF ignore them.
  const count = referredTo.length;
  if (count <= 4) {
    out.u8(count << 5);
  } else {
    out.u32(((7 << 29) | count) >>> 0);
    for (let i = 0; i < (count + 8) >> 3; i++) out.u8(0);
  }
  const numberSize = number <= 256 ? 1 : number <= 65536 ? 2 : 4;
  for (const referred of referredTo) {
    if (numberSize === 1) out.u8(referred);
    else if (numberSize === 2) out.u16(referred);
    else out.u32(referred);
  }
  if (page > 0xff) out.u32(page);
  else out.u8(page);
  out.u32(data.length);
  out.bytes(data);
}

/** Segments in sequential organization (header, data, header, data...), as embedded in PDF. */
export function writeSegments(segments: readonly Segment[]): Uint8Array {
  const out = new ByteWriter();
  for (const segment of segments) writeSegment(out, segment);
  return out.toBytes();
}

const FILE_ID = [0x97, 0x4a, 0x42, 0x32, 0x0d, 0x0a, 0x1a, 0x0a];

/** The standalone file form of one page (D.4.2 header, sequential organization, 1 page), ending in end-of-page and end-of-file. */
export function writeFile(segments: readonly Segment[]): Uint8Array {
  const out = new ByteWriter();
  for (const byte of FILE_ID) out.u8(byte);
  out.u8(0x01); // sequential organization, page count known
  out.u32(1);
  let last = 0;
  for (const segment of segments) {
    writeSegment(out, segment);
    last = Math.max(last, segment.number);
  }
  writeSegment(out, { number: last + 1, type: SegmentType.endOfPage, page: 1, referredTo: [], data: new Uint8Array(0) });
  writeSegment(out, { number: last + 2, type: SegmentType.endOfFile, page: 0, referredTo: [], data: new Uint8Array(0) });
  return out.toBytes();
}

/** Page information segment data (7.4.8): a lossless page, white default, OR combination, not striped. */
export function pageInformation(width: number, height: number, resolution = 0): Uint8Array {
  // Resolution is in pixels per metre; 0 is "unknown" (PDF ignores it: the page places the image).
  const perMetre = Math.round(resolution / 0.0254);
  return new ByteWriter().u32(width).u32(height).u32(perMetre).u32(perMetre).u8(0x01).u16(0).toBytes();
}

/** Region segment information field (7.4.1) with the OR external combination operator. */
export function regionInformation(out: ByteWriter, width: number, height: number, x: number, y: number): void {
  out.u32(width).u32(height).u32(x).u32(y).u8(0);
}
