/**
 * Flat-colour layers for pages of text and line art in a few colours (`--format auto`, PDF output):
 * the page split into its background colour and one 1-bit mask per ink colour (codecs/layers), each
 * mask's JBIG2 symbols in one file (codecs/layers/file.ts) that the assembler codes against the
 * document's dictionary and paints as `/ImageMask true` in its colour. Lossless to the page quantized
 * to its palette (what `composeLayers(splitLayers(page))` shows).
 */
import { serializeLayeredSymbols } from "../codecs/layers/file.js";
import { NotLayerable, splitLayers } from "../codecs/layers/split.js";
import { findSymbols } from "./bilevel.js";

/**
 * Bytes a layer costs in the output besides its coded mask: the image XObject's dictionary and the
 * operators that paint it (measured ~130 bytes in pdfraster's output).
 */
const LAYER_OVERHEAD = 140;

/** The page as layers, and its expected bytes in the output (page-local JBIG2 sizes: an upper bound); undefined when the page is not layerable. */
export function layeredFile(pixels: Uint8Array, width: number, height: number, channels: 3 | 4): { data: Uint8Array; estimate: number } | undefined {
  const split = splitLayers(pixels, width, height, channels);
  if (split instanceof NotLayerable) return undefined;
  let estimate = LAYER_OVERHEAD; // the background fill
  const layers = split.layers.map((layer) => {
    const file = findSymbols(layer.width, layer.height, layer.data, layer.stride);
    estimate += file.localBytes + LAYER_OVERHEAD;
    return { colour: layer.colour, x: layer.x, y: layer.y, symbols: file.symbols };
  });
  return { data: serializeLayeredSymbols({ width, height, background: split.background, layers }), estimate };
}
