/**
 * The resolution an image file declares: PNG `pHYs` (pixels per metre) and JPEG JFIF `APP0`
 * (dots per inch). libvips writes what raw pixels carry, 1 pixel/mm (25.4 DPI) in PNG and no JFIF
 * segment at all in JPEG (viewers then assume 72 DPI), so a page image would open at the wrong size.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";

/** Replace `remove` bytes at `at` with `insert`. */
export interface ByteEdit {
  at: number;
  remove: number;
  insert: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const METRES_PER_INCH = 0.0254;

/**
 * The edit that makes the PNG or JPEG starting with `head` declare `dpi`, or undefined when `head`
 * is neither or ends before the place of the edit (PNG: the first IDAT chunk; JPEG: after SOI).
 */
export function densityEdit(head: Buffer, dpi: number): ByteEdit | undefined {
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return pngEdit(head, dpi);
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) return jpegEdit(head, dpi);
  return undefined;
}

/** pHYs before the first IDAT: rewritten in place, or inserted just before the IDAT. */
function pngEdit(head: Buffer, dpi: number): ByteEdit | undefined {
  const perMetre = Math.round(dpi / METRES_PER_INCH);
  const data = Buffer.alloc(9);
  data.writeUInt32BE(perMetre, 0);
  data.writeUInt32BE(perMetre, 4);
  data[8] = 1; // unit: the metre
  const body = Buffer.concat([Buffer.from("pHYs", "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  for (let at = 8; at + 8 <= head.length; ) {
    const length = head.readUInt32BE(at);
    const type = head.toString("latin1", at + 4, at + 8);
    if (type === "pHYs" && length === 9) return { at: at + 8, remove: 13, insert: Buffer.concat([data, crc]) };
    if (type === "IDAT") {
      const chunk = Buffer.alloc(4);
      chunk.writeUInt32BE(9, 0);
      return { at, remove: 0, insert: Buffer.concat([chunk, body, crc]) };
    }
    at += 12 + length;
  }
  return undefined;
}

/** The JFIF APP0 right after SOI: its density fields rewritten in place, or a new one inserted. */
function jpegEdit(head: Buffer, dpi: number): ByteEdit | undefined {
  const dots = Math.min(0xffff, Math.max(1, Math.round(dpi)));
  const density = Buffer.alloc(5);
  density[0] = 1; // unit: dots per inch
  density.writeUInt16BE(dots, 1);
  density.writeUInt16BE(dots, 3);
  const isJfif = head.length >= 18 && head[2] === 0xff && head[3] === 0xe0 && head.toString("latin1", 6, 11) === "JFIF\0";
  if (isJfif) return { at: 13, remove: 5, insert: density };
  // FFE0, length 16, "JFIF\0", version 1.01, the density, no thumbnail.
  const app0 = Buffer.concat([Buffer.from([0xff, 0xe0, 0x00, 0x10]), Buffer.from("JFIF\0", "latin1"), Buffer.from([1, 1]), density, Buffer.from([0, 0])]);
  return { at: 2, remove: 0, insert: app0 };
}

/** How much of a file is read to find the place of the edit (libvips writes it within the first 100 bytes). */
const HEAD_BYTES = 64 * 1024;

/**
 * Makes the PNG or JPEG file at `path` declare `dpi`: in place when the file has the field already,
 * else rewritten through a stream (never held whole in memory). Resolves with the file's size.
 */
export async function writeDensity(path: string, dpi: number): Promise<number> {
  const file = await open(path, "r+");
  let edit: ByteEdit | undefined;
  let size: number;
  try {
    size = (await file.stat()).size;
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await file.read(head, 0, head.length, 0);
    edit = densityEdit(head, dpi);
    if (!edit) return size; // not an image of ours: left as it is
    if (edit.remove === edit.insert.length) {
      await file.write(edit.insert, 0, edit.insert.length, edit.at);
      return size;
    }
  } finally {
    await file.close();
  }
  const { at, remove, insert } = edit;
  const rewritten = `${path}.dpi`;
  try {
    const out = createWriteStream(rewritten);
    await pipeline(
      async function* () {
        yield* createReadStream(path, { end: at - 1 });
        yield insert;
        yield* createReadStream(path, { start: at + remove });
      },
      out,
    );
    await rename(rewritten, path);
  } catch (error) {
    await rm(rewritten, { force: true });
    throw error;
  }
  return size - remove + insert.length;
}
