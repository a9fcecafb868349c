/**
 * The file a render process writes for a page stored as mixed raster content, and the assembler
 * reads back: the page's flat-colour layers (codecs/layers/file.ts, each mask as JBIG2 symbols) and
 * its photographic regions, each a JPEG placed over a rectangle of page pixels (the JPEG may have
 * fewer pixels than its rectangle: it is scaled to it).
 *
 * Layout (little-endian u32 unless said): "PRMX", version, width, height, the layers file's length,
 * the layers file; the photo count; per photo: x, y, width, height (page pixels), the JPEG's length,
 * the JPEG. The file is untrusted input to the master: `deserializeMixedPage` checks every size and
 * position (rectangles within the page and disjoint, the layers of the page's size) and throws
 * MixedFormatError on anything else. The JPEGs' own headers are checked where they are embedded.
 */
import { ByteReader, ByteWriter } from "../bytes.js";
import { deserializeLayeredSymbols, LayersFormatError, serializeLayeredSymbols, type LayeredSymbols } from "../layers/file.js";
import type { Rect } from "./regions.js";

const MAGIC = 0x584d5250; // "PRMX"
const VERSION = 1;
/** Photo regions a page may have (the region finder merges; more is a damaged or hostile file). */
export const MAX_PHOTOS = 4096;

/** A photographic region: its rectangle of page pixels and its JPEG. */
export interface PhotoRegion extends Rect {
  jpeg: Uint8Array;
}

/** A page as mixed raster content: layers on top, photographs under them. */
export interface MixedPage {
  layered: LayeredSymbols;
  photos: PhotoRegion[];
}

export class MixedFormatError extends Error {
  override name = "MixedFormatError";
}

export function serializeMixedPage(page: MixedPage): Uint8Array {
  if (page.photos.length > MAX_PHOTOS) throw new RangeError(`At most ${MAX_PHOTOS} photo regions, got ${page.photos.length}`);
  const layers = serializeLayeredSymbols(page.layered);
  const out = new ByteWriter(24 + layers.length + page.photos.reduce((sum, photo) => sum + 20 + photo.jpeg.length, 0));
  const u32 = (value: number): void => out.u32(value);
  const bytes = (data: Uint8Array): void => {
    out.u32(data.length);
    out.put(data);
  };
  u32(MAGIC);
  u32(VERSION);
  u32(page.layered.width);
  u32(page.layered.height);
  bytes(layers);
  u32(page.photos.length);
  for (const photo of page.photos) {
    u32(photo.x);
    u32(photo.y);
    u32(photo.width);
    u32(photo.height);
    bytes(photo.jpeg);
  }
  return out.bytes;
}

/** Reads what serializeMixedPage wrote, checking every size and that the photo regions lie within the page, disjoint. */
export function deserializeMixedPage(input: Uint8Array): MixedPage {
  const reader = new ByteReader(input, () => new MixedFormatError("Truncated or corrupt mixed page file"));
  const u32 = (): number => reader.u32();
  const bytes = (): Uint8Array => reader.share(reader.u32());
  if (u32() !== MAGIC || u32() !== VERSION) throw new MixedFormatError("Not a mixed page file of this version");
  const width = u32();
  const height = u32();
  let layered: LayeredSymbols;
  try {
    layered = deserializeLayeredSymbols(bytes());
  } catch (error) {
    if (error instanceof LayersFormatError) throw new MixedFormatError(`Layers: ${error.message}`);
    throw error;
  }
  if (layered.width !== width || layered.height !== height) throw new MixedFormatError(`Layers of ${layered.width}x${layered.height} on a ${width}x${height} page`);
  const count = u32();
  if (count > MAX_PHOTOS) throw new MixedFormatError(`${count} photo regions (at most ${MAX_PHOTOS})`);
  const photos: PhotoRegion[] = [];
  for (let i = 0; i < count; i++) {
    const [x, y, w, h] = [u32(), u32(), u32(), u32()];
    if (w < 1 || h < 1 || x + w > width || y + h > height) throw new MixedFormatError(`Photo ${i + 1} (${w}x${h} at ${x},${y}) lies outside the ${width}x${height} page`);
    const jpeg = bytes();
    if (jpeg.length === 0) throw new MixedFormatError(`Photo ${i + 1} is empty`);
    const overlapping = photos.findIndex((p) => x < p.x + p.width && p.x < x + w && y < p.y + p.height && p.y < y + h);
    if (overlapping >= 0) throw new MixedFormatError(`Photo ${i + 1} overlaps photo ${overlapping + 1}`);
    photos.push({ x, y, width: w, height: h, jpeg });
  }
  if (!reader.atEnd) throw new MixedFormatError("Trailing bytes in mixed page file");
  return { layered, photos };
}
