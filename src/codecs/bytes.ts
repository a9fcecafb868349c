/**
 * Little-endian bytes for the files our render processes write and the assembler reads back
 * (codecs/jbig2/serialize.ts, codecs/layers/file.ts, codecs/mixed/file.ts). Those files are untrusted input to the master:
 * every read is bounds-checked first, and a short or damaged file throws the format's own error.
 */

/** Writes into a buffer of the size the caller computed. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly data: DataView;
  private pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.data = new DataView(this.bytes.buffer);
  }

  u32(value: number): void {
    this.data.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  i32(value: number): void {
    this.data.setInt32(this.pos, value, true);
    this.pos += 4;
  }

  /** Copies `bytes` in as they are. */
  put(bytes: ArrayLike<number>): void {
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

/** Reads what a ByteWriter wrote; `fail` makes the error a short or damaged input throws. */
export class ByteReader {
  private readonly bytes: Uint8Array;
  private readonly data: DataView;
  private pos = 0;

  constructor(
    input: Uint8Array,
    private readonly fail: () => Error,
  ) {
    // A plain view, so that take() copies (Buffer's slice() shares the memory, Node's pool included).
    this.bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.data = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** True once every byte has been read. */
  get atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  /** Throws unless `n` more bytes are there: check before allocating what a count read from the input asks for. */
  need(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.length) throw this.fail();
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.data.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.data.getInt32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** The next `n` bytes, copied. */
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next `n` bytes, shared with the input (for a reader of its own). */
  share(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
