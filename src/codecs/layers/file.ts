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
  const out = new Uint8Array(20 + masks.reduce((sum, mask) => sum + 16 + mask.length, 0));
  const view = new DataView(out.buffer);
  let pos = 0;
  const u32 = (value: number): void => {
    view.setUint32(pos, value, true);
    pos += 4;
  };
  const rgb = (colour: Rgb, fourth: number): void => {
    out.set([...colour, fourth], pos);
    pos += 4;
  };
  u32(MAGIC);
  u32(VERSION);
  u32(page.width);
  u32(page.height);
  rgb(page.background, page.layers.length);
  page.layers.forEach((layer, i) => {
    rgb(layer.colour, 0);
    u32(layer.x);
    u32(layer.y);
    u32(masks[i]!.length);
    out.set(masks[i]!, pos);
    pos += masks[i]!.length;
  });
  return out;
}

/** Reads what serializeLayeredSymbols wrote, checking that every mask lies within the page. */
export function deserializeLayeredSymbols(input: Uint8Array): LayeredSymbols {
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new LayersFormatError("Truncated or corrupt layers file");
  };
  const u32 = (): number => {
    need(4);
    const value = view.getUint32(pos, true);
    pos += 4;
    return value;
  };
  const rgb = (): [Rgb, number] => {
    need(4);
    const colour: Rgb = [bytes[pos]!, bytes[pos + 1]!, bytes[pos + 2]!];
    const fourth = bytes[pos + 3]!;
    pos += 4;
    return [colour, fourth];
  };
  if (u32() !== MAGIC || u32() !== VERSION) throw new LayersFormatError("Not a layers file of this version");
  const width = u32();
  const height = u32();
  if (width < 1 || height < 1) throw new LayersFormatError("Empty page in layers file");
  const [background, count] = rgb();
  const layers: LayeredSymbols["layers"] = [];
  for (let i = 0; i < count; i++) {
    const [colour] = rgb();
    const x = u32();
    const y = u32();
    const length = u32();
    need(length);
    let symbols: PageSymbols;
    try {
      symbols = deserializePageSymbols(bytes.subarray(pos, pos + length));
    } catch (error) {
      if (error instanceof PageSymbolsFormatError) throw new LayersFormatError(`Layer ${i + 1}: ${error.message}`);
      throw error;
    }
    pos += length;
    if (x + symbols.width > width || y + symbols.height > height) throw new LayersFormatError(`Layer ${i + 1} lies outside the page in layers file`);
    layers.push({ colour, x, y, symbols });
  }
  if (pos !== bytes.length) throw new LayersFormatError("Trailing bytes in layers file");
  return { width, height, background, layers };
}
