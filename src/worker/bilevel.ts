/**
 * 1-bit pages and masks of a PDF, in the render process: JBIG2 symbols (codecs/jbig2) when they
 * code smaller than CCITT G4 (codecs/ccitt), else G4. Pure: packed bits in, file bytes out.
 *
 * The JBIG2 file is the page's serialized symbols (PageSymbols), not a finished stream: the assembler
 * admits them to the document's one symbol dictionary and codes the page there (output/jbig2.ts).
 * The choice is made here, on the page-local JBIG2 size (the page coded with its own dictionary, what
 * `encodePage(symbols)` without an assignment gives): the document dictionary only makes JBIG2
 * smaller still (a glyph already stored is not stored again), so a page that is JBIG2 here would not
 * be smaller as G4 in the output. Noise and halftones, where the symbol finder falls back to one
 * generic region, code larger than G4 and stay G4.
 */
import { encodeG4, g4MinBytes, type BlackBitmap } from "../codecs/ccitt/g4.js";
import { g4ToTiff } from "../codecs/ccitt/tiff.js";
import { bitmapFromPacked, embeddedStream, encodePage, extractSymbols, serializePageSymbols, type PageSymbols } from "../codecs/jbig2/index.js";

/** A page's symbols and what they code to on their own (an upper bound of their bytes in the output). */
export interface FoundSymbols {
  symbols: PageSymbols;
  /** Bytes of the page coded with its own dictionary. */
  localBytes: number;
}

/**
 * Finds a 1-bit image's symbols. The padding bits after `width` in each row of `black` are cleared in
 * place (the symbol finder reads whole bytes); no pixel changes, so the bits need no copy.
 */
export function findSymbols(width: number, height: number, black: Uint8Array, stride = (width + 7) >> 3): FoundSymbols {
  const symbols = extractSymbols(bitmapFromPacked(width, height, black.subarray(0, stride * height), stride));
  return { symbols, localBytes: embeddedStream(encodePage(symbols)).length };
}

/** What a 1-bit page of a PDF is stored as: the file, and the bytes it is expected to take in the output. */
export interface BilevelFile {
  format: "jbig2" | "g4";
  data: Uint8Array;
  /** Bytes in the output: the G4 data, or the page-local JBIG2 size (the document dictionary makes it smaller). */
  estimate: number;
}

/**
 * The smaller of JBIG2 (page-local size) and G4 (ties go to JBIG2, whose document dictionary only
 * helps). G4 is not coded when JBIG2 is within its lower bound (g4MinBytes, a pass of popcounts): on
 * text pages JBIG2 is 2-4x smaller, and G4 cost ~15% of the symbol finder's time for nothing.
 */
export function bilevelFile(image: BlackBitmap): BilevelFile {
  const jbig2 = findSymbols(image.width, image.height, image.black);
  const asJbig2 = (): BilevelFile => ({ format: "jbig2", data: serializePageSymbols(jbig2.symbols), estimate: jbig2.localBytes });
  if (jbig2.localBytes <= g4MinBytes(image)) return asJbig2();
  const g4 = encodeG4(image);
  if (jbig2.localBytes <= g4.data.length) return asJbig2();
  return { format: "g4", data: g4ToTiff(g4), estimate: g4.data.length };
}
