import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bitmapFromPacked, createBitmap, type Bitmap } from "../../src/codecs/jbig2/bitmap.js";
import { scratch } from "./cli.js";
import { random } from "./random.js";

/** Parses a binary PBM (P4), the format jbig2dec and pdftoppm -mono write. */
export function readPbm(bytes: Uint8Array): Bitmap {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (/\s/.test(String.fromCharCode(bytes[pos]!))) pos++;
      if (bytes[pos] !== 0x23) break; // a comment line
      while (bytes[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (!/\s/.test(String.fromCharCode(bytes[pos]!))) pos++;
    return Buffer.from(bytes.subarray(start, pos)).toString("latin1");
  };
  if (token() !== "P4") throw new Error("not a P4 PBM");
  const width = Number(token());
  const height = Number(token());
  pos++; // the single whitespace before the raster
  const stride = (width + 7) >> 3;
  return bitmapFromPacked(width, height, bytes.slice(pos, pos + stride * height));
}

export function writePbm(bitmap: Bitmap): Uint8Array {
  const header = Buffer.from(`P4\n${bitmap.width} ${bitmap.height}\n`, "latin1");
  const rowBytes = (bitmap.width + 7) >> 3;
  const raster = new Uint8Array(rowBytes * bitmap.height);
  for (let y = 0; y < bitmap.height; y++) {
    raster.set(bitmap.data.subarray(y * bitmap.stride, y * bitmap.stride + rowBytes), y * rowBytes);
  }
  return Buffer.concat([header, raster]);
}

/** Decodes with Debian's jbig2dec: a standalone file, or (two arguments) a globals stream and an embedded page stream. */
export function jbig2dec(file: Uint8Array, globals?: Uint8Array): Bitmap {
  const dir = scratch("pdfraster-jbig2-");
  const page = join(dir, "page.jb2");
  const out = join(dir, "out.pbm");
  writeFileSync(page, file);
  const args = ["-q", "-t", "pbm", "-o", out];
  if (globals) {
    const globalsPath = join(dir, "globals.jb2");
    writeFileSync(globalsPath, globals);
    args.push("-e", globalsPath, page);
  }
  else args.push(page);
  execFileSync("jbig2dec", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
  return readPbm(readFileSync(out));
}

export function noise(width: number, height: number, density: number, seed = 1): Bitmap {
  const bitmap = createBitmap(width, height);
  const next = random(seed);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (next() < density) bitmap.data[y * bitmap.stride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return bitmap;
}

/** The first pixel where two bitmaps differ, for a readable failure; undefined when they are equal. */
export function firstDifference(a: Bitmap, b: Bitmap): string | undefined {
  if (a.width !== b.width || a.height !== b.height) return `size ${a.width}x${a.height} vs ${b.width}x${b.height}`;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const pa = (a.data[y * a.stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
      const pb = (b.data[y * b.stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
      if (pa !== pb) return `pixel (${x}, ${y}): ${pa} vs ${pb}`;
    }
  }
  return undefined;
}

/** A page rendered to 1 bit by poppler (`pdftoppm -mono`), as a bitmap. */
export function renderMono(pdf: string, page: number, dpi: number): Bitmap {
  const out = execFileSync("pdftoppm", ["-mono", "-r", String(dpi), "-f", String(page), "-l", String(page), pdf], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return readPbm(out);
}

/**
 * Two different glyphs (16 x 16, one 8-connected component each: a black left column, each row a run
 * from it) whose hashBitmap() values collide, found by a seeded birthday search: bucket-mates that only
 * a full comparison tells apart.
 */
export function collidingGlyphs(hash: (bitmap: Bitmap) => number): [Bitmap, Bitmap] {
  const next = random(2026);
  const seen = new Map<number, Bitmap>();
  for (let tries = 0; tries < 2_000_000; tries++) {
    const glyph = createBitmap(16, 16);
    for (let y = 0; y < 16; y++) {
      const length = y === 0 ? 16 : 1 + Math.floor(next() * 16);
      for (let x = 0; x < length; x++) glyph.data[y * glyph.stride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
    const h = hash(glyph);
    const other = seen.get(h);
    if (other && firstDifference(other, glyph) !== undefined) return [other, glyph];
    seen.set(h, glyph);
  }
  throw new Error("no hash collision found");
}

/** Draws `glyph` onto `page` with its top-left corner at (x0, y0). */
export function stamp(page: Bitmap, glyph: Bitmap, x0: number, y0: number): void {
  for (let y = 0; y < glyph.height; y++) {
    for (let x = 0; x < glyph.width; x++) {
      if ((glyph.data[y * glyph.stride + (x >> 3)]! >> (7 - (x & 7))) & 1) page.data[(y0 + y) * page.stride + ((x0 + x) >> 3)]! |= 0x80 >> ((x0 + x) & 7);
    }
  }
}
