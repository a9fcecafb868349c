/**
 * CCITT Group 4 (ITU-T T.6) encoder: a bilevel image in, the coded bytes out. Pure: no I/O.
 *
 * Which bit is black: the input is `black`, packed rows in which a SET bit is a BLACK pixel. The
 * coded data itself only says which runs are white and which black (every line starts white), so it
 * has no polarity; a container states how the decoded bits read. In PDF that is `/BlackIs1 false`
 * (the default: decoded black pixels are 0, as /DeviceGray wants) and in TIFF PhotometricInterpretation
 * 0 (WhiteIsZero); both are written by {@link g4DecodeParms} and tiff.ts, never by callers. Callers
 * that hold 8-bit gray (0 = black) use {@link packBlack}, which sets the bits the right way round.
 */
import { BLACK, EOL, HORIZONTAL, MAX_MAKEUP, PASS, VERTICAL_CODE, VERTICAL_LENGTH, WHITE, type RunCodes } from "./tables.js";

/** A bilevel image: `black` holds `height` rows of ceil(width / 8) bytes, most significant bit first, a set bit being a black pixel. */
export interface BlackBitmap {
  width: number;
  height: number;
  /** Bits after the last column of a row are ignored. */
  black: Uint8Array;
}

/** A Group 4 coded image: T.6 data ending with EOFB, padded to a whole byte. */
export interface G4Image {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The PDF `/DecodeParms` of a {@link G4Image} under `/CCITTFaxDecode`. */
export function g4DecodeParms(image: Pick<G4Image, "width" | "height">): string {
  return `<< /K -1 /Columns ${image.width} /Rows ${image.height} /BlackIs1 false >>`;
}

/** Bytes are little-endian in a Uint32Array on this machine (every platform Node runs on; checked, not assumed). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Thresholds and packs 8-bit gray pixels (`width` x `height`, one byte each, rows without padding)
 * into a {@link BlackBitmap}: a pixel below `threshold` (0-256) is black, as sharp's `threshold()`
 * makes it 0. An image thresholded already (0 and 255) packs as it looks with the default.
 */
export function packBlack(gray: Uint8Array, width: number, height: number, threshold = 128): BlackBitmap {
  checkSize(width, height);
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 256) throw new RangeError(`Expected a threshold of 0 to 256, got ${threshold}`);
  if (gray.length < width * height) throw new RangeError(`Expected ${width * height} gray pixels, got ${gray.length}`);
  const rowBytes = (width + 7) >> 3;
  const black = new Uint8Array(rowBytes * height);
  // At 128, each row is copied to an aligned scratch row (padded with white) and read 4 pixels at a time:
  // the inverted top bits of 4 bytes, gathered into a nibble by one multiplication (bits 0, 8, 16
  // and 24 move to 31, 30, 29 and 28; the other products fall below bit 28 without carries).
  const scratch = new Uint8Array(rowBytes * 8).fill(255);
  const words = new Uint32Array(scratch.buffer);
  for (let y = 0, o = 0; y < height; y++) {
    const row = gray.subarray(y * width, y * width + width);
    if (threshold !== 128 || !LITTLE_ENDIAN) {
      for (let x = 0; x < width; x++) if (row[x]! < threshold) black[o + (x >> 3)]! |= 0x80 >> (x & 7);
      o += rowBytes;
      continue;
    }
    scratch.set(row);
    for (let w = 0; w < rowBytes * 2; w += 2, o++) {
      const hi = Math.imul((~words[w]! >>> 7) & 0x01010101, 0x80402010) >>> 28;
      const lo = Math.imul((~words[w + 1]! >>> 7) & 0x01010101, 0x80402010) >>> 28;
      black[o] = (hi << 4) | lo;
    }
  }
  return { width, height, black };
}

/** Encodes `image` with T.6 two-dimensional coding (the first reference line is all white). */
export function encodeG4(image: BlackBitmap): G4Image {
  const { width, height, black } = image;
  checkSize(width, height);
  const rowBytes = (width + 7) >> 3;
  if (black.length < rowBytes * height) throw new RangeError(`Expected ${rowBytes * height} bytes for ${width}x${height} pixels, got ${black.length}`);
  const out = new BitWriter(Math.max(1024, (width * height) >> 5));
  // Changing elements of the reference and the coding line, each followed by three `width` sentinels.
  let ref = new Int32Array(width + 4);
  let cur = new Int32Array(width + 4);
  ref.fill(width, 0, 3);
  for (let y = 0; y < height; y++) {
    changes(black, y * rowBytes, width, cur);
    // At most a 12-bit mode-and-run code pair per changing element, plus the longest runs' make-up codes.
    out.reserve(width * 2 + 64);
    codeLine(out, ref, cur, width);
    [ref, cur] = [cur, ref];
  }
  out.put(EOL.code, EOL.length);
  out.put(EOL.code, EOL.length);
  return { width, height, data: out.finish() };
}

/** Set bits of each byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let b = v; b !== 0; b &= b - 1) n++;
  return n;
});

/**
 * A lower bound of the bytes {@link encodeG4} gives for `image`, at a small part of its cost (a pass
 * of popcounts): every changing element of a coding line (a colour change within the row, the
 * left of the first pixel counting as white) is coded by a vertical mode (1 to 7 bits) or, two at
 * a time, by a horizontal one (at least 3 + 2 + 2 bits), so the data has at least one bit per change.
 * A caller comparing another coding that is already smaller can skip G4 (worker/bilevel.ts).
 */
export function g4MinBytes(image: BlackBitmap): number {
  const { width, height, black } = image;
  checkSize(width, height);
  const rowBytes = (width + 7) >> 3;
  if (black.length < rowBytes * height) throw new RangeError(`Expected ${rowBytes * height} bytes for ${width}x${height} pixels, got ${black.length}`);
  // The changes within the last byte's real columns only: padding bits are ignored, as encodeG4 ignores them.
  const tail = width & 7;
  const lastMask = tail === 0 ? 0xff : (0xff00 >> tail) & 0xff;
  let changed = 0;
  for (let y = 0, o = 0; y < height; y++) {
    let previous = 0; // the pixel left of each byte's first one, in bit 7
    const last = o + rowBytes - 1;
    for (; o < last; o++) {
      const v = black[o]!;
      if ((v | previous) === 0) continue; // white after white: no change (most of a page)
      changed += POPCOUNT[v ^ ((v >> 1) | previous)]!;
      previous = (v & 1) << 7;
    }
    const v = black[o++]!;
    changed += POPCOUNT[(v ^ ((v >> 1) | previous)) & lastMask]!;
  }
  return Math.floor(changed / 8);
}

/**
 * Writes into `into` the columns of one row where the colour changes (the column left of the
 * first one counts as white), then three `width` sentinels; returns how many changes there are.
 */
function changes(black: Uint8Array, start: number, width: number, into: Int32Array): number {
  let n = 0;
  let flip = 0; // 0xff while the run is black: XOR turns the next change into the first set bit
  const end = start + ((width + 7) >> 3);
  for (let i = start; i < end; i++) {
    let v = black[i]! ^ flip;
    if (v === 0) continue;
    const x0 = (i - start) << 3;
    // Each change flips the colour: the rest of the byte is looked at in the other sense.
    do {
      const k = Math.clz32(v) - 24;
      into[n++] = x0 + k;
      flip ^= 0xff;
      v = (black[i]! ^ flip) & (0xff >> (k + 1));
    } while (v !== 0);
  }
  while (n > 0 && into[n - 1]! >= width) n--; // changes in the padding bits
  into[n] = width;
  into[n + 1] = width;
  into[n + 2] = width;
  return n;
}

/** Codes one line against its reference line (T.6 section 2.2, T.4 figure 7 without the 1-D branch). */
function codeLine(out: BitWriter, ref: Int32Array, cur: Int32Array, width: number): void {
  let a0 = -1; // the imaginary white pixel left of the line
  let isBlack = 0; // colour of a0: 1 black
  let ci = 0; // cur[ci] is the first change right of a0 (a1)
  let ri = 0; // ref[ri] is the first change right of a0
  while (a0 < width) {
    while (cur[ci]! <= a0) ci++;
    while (ref[ri]! <= a0) ri++;
    const a1 = cur[ci]!;
    // b1: the first change right of a0 to the opposite colour of a0's (even changes turn black, odd ones white).
    const bi = (ri & 1) === isBlack ? ri : ri + 1;
    const b1 = ref[bi]!;
    const b2 = ref[bi + 1]!;
    if (b2 < a1) {
      out.put(PASS.code, PASS.length);
      a0 = b2;
    } else if (a1 - b1 <= 3 && b1 - a1 <= 3) {
      const mode = a1 - b1 + 3;
      out.put(VERTICAL_CODE[mode]!, VERTICAL_LENGTH[mode]!);
      a0 = a1;
      isBlack ^= 1;
    } else {
      const a2 = cur[ci + 1]!;
      const from = a0 < 0 ? 0 : a0;
      out.put(HORIZONTAL.code, HORIZONTAL.length);
      out.run(isBlack ? BLACK : WHITE, a1 - from);
      out.run(isBlack ? WHITE : BLACK, a2 - a1);
      a0 = a2;
    }
  }
}

/** Appends codes most significant bit first to a growing byte buffer. */
class BitWriter {
  #bytes: Uint8Array;
  #at = 0;
  /** Bits not yet written out (the low `#count` bits of `#acc`). */
  #acc = 0;
  #count = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity);
  }

  /** Makes room for at least `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.#at + bytes <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#at + bytes));
    grown.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = grown;
  }

  /** Writes the low `length` (at most 16) bits of `code`. */
  put(code: number, length: number): void {
    this.#acc = ((this.#acc << length) | code) >>> 0;
    this.#count += length;
    while (this.#count >= 8) {
      this.#count -= 8;
      this.#bytes[this.#at++] = this.#acc >>> this.#count;
    }
    this.#acc &= (1 << this.#count) - 1;
  }

  /** Writes a run: make-up codes while it is 64 or longer, then its terminating code (T.4 section 4.1.1). */
  run(codes: RunCodes, length: number): void {
    while (length > 63) {
      const makeup = length > MAX_MAKEUP ? MAX_MAKEUP : length & ~63;
      this.put(codes.code[makeup]!, codes.length[makeup]!);
      length -= makeup;
    }
    this.put(codes.code[length]!, codes.length[length]!);
  }

  /** The bytes written, the last one padded with zero bits. */
  finish(): Uint8Array {
    if (this.#count > 0) this.put(0, 8 - this.#count);
    return this.#bytes.slice(0, this.#at);
  }
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Expected a positive integer width and height, got ${width}x${height}`);
  }
}
