/**
 * The file a render process writes for a page stored as flat-colour layers, and the assembler reads
 * back: the page's size and background colour, then per layer its colour, its position and its mask
 * as JBIG2 symbols (codecs/jbig2 serializePageSymbols), which the assembler codes against the
 * document's one symbol dictionary (glyphs are shared across colours and pages).
 *
 * Layout (little-endian): "PRLY", version, width, height (u32 each); background r, g, b and the layer
 * count (u8 each); per layer: r, g, b, 0 (u8 each), x, y, the symbols' length (u32 each), the symbols.
 * The file is untrusted input to the master: `deserializeLayeredSymbols` checks every size and
 * position and throws LayersFormatError on anything else.
 */
import { ByteReader, ByteWriter } from "../bytes.js";
import { deserializePageSymbols, PageSymbolsFormatError, serializePageSymbols, type PageSymbols } from "../jbig2/index.js";
import type { Rgb } from "./split.js";

const MAGIC = 0x594c5250; // "PRLY"
const VERSION = 1;
const MAX_LAYERS = 255;

/** A page as layers, each mask as symbols (its size is the symbols' page size). */
export interface LayeredSymbols {
  width: number;
  height: number;
  background: Rgb;
  layers: Array<{ colour: Rgb; x: number; y: number; symbols: PageSymbols }>;
}

export class LayersFormatError extends Error {
  override name = "LayersFormatError";
}

export function serializeLayeredSymbols(page: LayeredSymbols): Uint8Array {
  if (page.layers.length > MAX_LAYERS) throw new RangeError(`At most ${MAX_LAYERS} layers, got ${page.layers.length}`);
  const masks = page.layers.map((layer) => serializePageSymbols(layer.symbols));
  const out = new ByteWriter(20 + masks.reduce((sum, mask) => sum + 16 + mask.length, 0));
  out.u32(MAGIC);
  out.u32(VERSION);
  out.u32(page.width);
  out.u32(page.height);
  out.put([...page.background, page.layers.length]);
  page.layers.forEach((layer, i) => {
    out.put([...layer.colour, 0]);
    out.u32(layer.x);
    out.u32(layer.y);
    out.u32(masks[i]!.length);
    out.put(masks[i]!);
  });
  return out.bytes;
}

/** Reads what serializeLayeredSymbols wrote, checking that every mask lies within the page. */
export function deserializeLayeredSymbols(input: Uint8Array): LayeredSymbols {
  const read = new ByteReader(input, () => new LayersFormatError("Truncated or corrupt layers file"));
  const rgb = (): Rgb => [read.u8(), read.u8(), read.u8()];
  if (read.u32() !== MAGIC || read.u32() !== VERSION) throw new LayersFormatError("Not a layers file of this version");
  const width = read.u32();
  const height = read.u32();
  if (width < 1 || height < 1) throw new LayersFormatError("Empty page in layers file");
  const background = rgb();
  const count = read.u8();
  const layers: LayeredSymbols["layers"] = [];
  for (let i = 0; i < count; i++) {
    const colour = rgb();
    read.u8(); // the fourth byte of a layer's colour, 0
    const x = read.u32();
    const y = read.u32();
    const mask = read.share(read.u32());
    let symbols: PageSymbols;
    try {
      symbols = deserializePageSymbols(mask);
    } catch (error) {
      if (error instanceof PageSymbolsFormatError) throw new LayersFormatError(`Layer ${i + 1}: ${error.message}`);
      throw error;
    }
    if (x + symbols.width > width || y + symbols.height > height) throw new LayersFormatError(`Layer ${i + 1} lies outside the page in layers file`);
    layers.push({ colour, x, y, symbols });
  }
  if (!read.atEnd) throw new LayersFormatError("Trailing bytes in layers file");
  return { width, height, background, layers };
}
