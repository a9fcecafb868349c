import { open, type FileHandle } from "node:fs/promises";
import { TAG, typeSize, type TiffField, type TiffPage } from "./page.js";

/** A classic TIFF addresses its bytes with 32-bit offsets. */
const MAX_TIFF_BYTES = 2 ** 32 - 1;

/** Thrown when a page would take the file past 4 GiB. */
export class TiffTooLargeError extends Error {}

/**
 * Writes a multi-page TIFF page by page: each page's strips, then its IFD (a page per IFD, in the
 * order added, each with its own size, resolution and compression), the previous IFD's link patched
 * to point to it. Only the position of that link is kept, so memory does not grow with the pages.
 * Little-endian, classic TIFF: every TIFF reader takes it (BigTIFF would lift the 4 GiB limit
 * but fax and document systems often cannot read it). Calls must not overlap.
 */
export class TiffStreamWriter {
  readonly #fh: FileHandle;
  #pos = 8;
  /** Where the offset of the next IFD goes: the header's first, then each IFD's last four bytes. */
  #link = 4;
  #pages = 0;

  private constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  /** Opens (creating or truncating) `path` and writes the header. */
  static async create(path: string): Promise<TiffStreamWriter> {
    const fh = await open(path, "w");
    const header = Buffer.from([0x49, 0x49, 42, 0, 0, 0, 0, 0]);
    await fh.write(header, 0, 8, 0);
    return new TiffStreamWriter(fh);
  }

  get pageCount(): number {
    return this.#pages;
  }

  get bytesWritten(): number {
    return this.#pos;
  }

  /** Appends a page read by readTiffPage() (its strips copied as they are). */
  async addPage(page: TiffPage): Promise<void> {
    const stripBytes = page.strips.reduce((sum, strip) => sum + strip.length + (strip.length % 2), 0);
    const fields: TiffField[] = [...page.fields, long(TAG.newSubfileType, [2])]; // 2: one page of a multi-page image
    const entries = fields.length + 2;
    const ifdBytes = 2 + 12 * entries + 4 + fields.reduce((sum, f) => sum + outOfLine(f), 0) + 2 * outOfLine(long(0, page.strips.map(() => 0)));
    if (this.#pos + stripBytes + ifdBytes > MAX_TIFF_BYTES) {
      throw new TiffTooLargeError(`page ${this.#pages + 1} would take the TIFF past 4 GiB, the limit of a classic TIFF`);
    }
    const offsets: number[] = [];
    for (const strip of page.strips) {
      offsets.push(this.#pos);
      await this.#append(strip);
      if (strip.length % 2) await this.#append(Buffer.alloc(1)); // the IFD (and each strip) starts on a word boundary
    }
    fields.push(long(TAG.stripOffsets, offsets), long(TAG.stripByteCounts, page.strips.map((s) => s.length)));
    fields.sort((a, b) => a.tag - b.tag); // the specification requires ascending tags
    const ifdAt = this.#pos;
    const table = Buffer.alloc(2 + 12 * fields.length + 4);
    table.writeUInt16LE(fields.length, 0);
    const values: Buffer[] = [];
    let valueAt = ifdAt + table.length;
    fields.forEach((field, i) => {
      const at = 2 + 12 * i;
      table.writeUInt16LE(field.tag, at);
      table.writeUInt16LE(field.type, at + 2);
      table.writeUInt32LE(field.count, at + 4);
      if (field.value.length <= 4) {
        field.value.copy(table, at + 8);
      } else {
        table.writeUInt32LE(valueAt, at + 8);
        const padded = field.value.length % 2 ? Buffer.concat([field.value, Buffer.alloc(1)]) : field.value;
        values.push(padded);
        valueAt += padded.length;
      }
    });
    await this.#append(Buffer.concat([table, ...values]));
    const link = Buffer.alloc(4);
    link.writeUInt32LE(ifdAt, 0);
    await this.#fh.write(link, 0, 4, this.#link);
    this.#link = ifdAt + 2 + 12 * fields.length;
    this.#pages++;
  }

  /** Closes the file and returns its size. */
  async close(): Promise<number> {
    if (this.#pages === 0) {
      await this.abort();
      throw new Error("Cannot finish a TIFF with no pages");
    }
    await this.#fh.close();
    return this.#pos;
  }

  /** Closes the file without finishing it; the caller deletes it. Never throws. */
  async abort(): Promise<void> {
    await this.#fh.close().catch(() => undefined);
  }

  async #append(data: Buffer): Promise<void> {
    for (let done = 0; done < data.length; ) {
      done += (await this.#fh.write(data, done, data.length - done, this.#pos + done)).bytesWritten;
    }
    this.#pos += data.length;
  }
}

function long(tag: number, values: number[]): TiffField {
  const value = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => value.writeUInt32LE(v, 4 * i));
  return { tag, type: 4, count: values.length, value };
}

/** Bytes a field's value takes after the IFD (values of up to 4 bytes sit in the entry). */
function outOfLine(field: TiffField): number {
  const length = typeSize(field.type) * field.count;
  return length <= 4 ? 0 : length + (length % 2);
}
