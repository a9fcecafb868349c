/**
 * JBIG2 (ITU-T T.88) lossless encoder for 1-bit page images, written for PDF's `/JBIG2Decode`.
 * Pure: bitmaps in, bytes out; no I/O.
 */
export { type Bitmap, bitmapFromPacked, createBitmap } from "./bitmap.js";
export { embeddedStream, encodeGenericPage, type EncodedPage, fileForm } from "./page.js";
