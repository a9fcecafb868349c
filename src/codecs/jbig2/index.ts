/**
 * JBIG2 (ITU-T T.88) lossless encoder for 1-bit page images, written for PDF's `/JBIG2Decode`.
 * Pure: bitmaps in, bytes out; no I/O, no dependency. `jbig2dec`, poppler and MuPDF decode its output
 * bit for bit in the tests (test/unit/jbig2-*.test.ts).
 *
 * What it codes
 * - Generic regions: MQ arithmetic coding, template 0 with the nominal AT pixels, typical prediction
 *   (TPGDON), no MMR. Any 1-bit image can be coded this way (`encodeGenericPage`).
 * - Symbols: a page's 8-connected components, grouped into classes by EXACT bitmap equality (never a
 *   similar glyph: no "6 became 8"), stored in symbol dictionaries (bitmaps generic-coded, by height
 *   class, as jbig2enc does for lossless), placed by immediate lossless text regions (no refinement);
 *   components too large to be glyphs go to a generic region over their joint bounding box. Decoding
 *   gives back the input exactly. Caps on runs and components (`SymbolLimits`) make noise and dot
 *   pages fall back to one generic region: time and memory stay linear in the page's pixels.
 *
 * Streams: the PDF embedded form (page information, dictionaries, regions; no file header, no
 * end-of-page, as PDF 32000 7.4.7 asks and jbig2enc -p writes) and the standalone file form for tools.
 *
 * One dictionary per document, with pages rendered anywhere and arriving in any order
 * 1. Render process: `extractSymbols(bitmap)` → `PageSymbols` (classes with their positions, and the
 *    residual already coded as a generic region: the costly pixel coding stays in the worker).
 *    `serializePageSymbols` writes it to the temp folder; it depends on no other page.
 * 2. Assembler: one `SymbolTable` per output document. `table.admit(pageSymbols)` gives each distinct
 *    bitmap a global home: the page's new symbols become one new symbol dictionary segment (a
 *    "chunk") numbered in admission order, and the page refers to the chunks it draws from.
 *    `encodePage(pageSymbols, assignment)` → the page's `/JBIG2Decode` stream, final at once:
 *    it refers only to chunks that already exist and never change, so the number of symbols it
 *    refers to (and so the width of its symbol ids) is fixed when it is written.
 * 3. After the last page: `table.globalsStream()` → the `/JBIG2Globals` stream (every chunk). Pages
 *    written earlier refer to its object number, reserved up front: a PDF object may be referred to
 *    before it is written. Pages with `usesGlobals` false need no `/DecodeParms`.
 * - Memory is bounded: the table stops admitting past `maxSymbols` / `maxBytes`; a page whose new
 *   symbols do not fit codes them in its own dictionary (`ownSymbols`), still losslessly.
 * - Page streams number their segments from 65536 up and the globals below, so the two streams a
 *   decoder reads together never share a number; a text region refers to at most 4 dictionaries
 *   (several regions on a page that needs more), avoiding the long referred-to form jbig2dec misreads.
 * - For output that is the same on every run, admit pages in page order (the assembler already
 *   writes pages in order); any order decodes correctly.
 */
export { type Bitmap, bitmapFromPacked, createBitmap } from "./bitmap.js";
export { embeddedStream, encodeGenericPage, encodePage, type EncodedPage, fileForm, type PageAssignment } from "./page.js";
export { deserializePageSymbols, PageSymbolsFormatError, serializePageSymbols } from "./serialize.js";
export { DEFAULT_TABLE_LIMITS, SymbolTable, type SymbolTableLimits } from "./symbol-table.js";
export { DEFAULT_SYMBOL_LIMITS, extractSymbols, type PageSymbols, type SymbolClass, type SymbolLimits } from "./symbols.js";
