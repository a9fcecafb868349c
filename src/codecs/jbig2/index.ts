/**
 * JBIG2 (ITU-T T.88) lossless encoder for 1-bit page images, written for PDF's `/JBIG2Decode`.
 * Pure: bitmaps in, bytes out; no I/O.
 */
export { type Bitmap, bitmapFromPacked, createBitmap } from "./bitmap.js";
export { embeddedStream, encodeGenericPage, encodePage, type EncodedPage, fileForm } from "./page.js";
export { DEFAULT_SYMBOL_LIMITS, extractSymbols, type PageSymbols, type SymbolClass, type SymbolLimits } from "./symbols.js";
