/**
 * The largest raster each engine can draw in one piece. The planner caps the band budget with it
 * (a page over it renders in bands, see src/bands/), and MuPDF's adapter checks it again.
 */
import type { EngineName } from "./registry.js";

/**
 * @napi-rs/canvas (Skia) needs its RGBA buffer under 2 GiB; MuPDF refuses a pixmap over 1 GiB (its RGB);
 * PDFium's WebAssembly memory ends at 2 GiB and also holds the document, its fonts and images, so
 * its RGB raster gets half of it, like MuPDF's.
 */
export const RASTER_LIMITS: Record<EngineName, { pixels: number; what: string; unit: string }> = {
  pdfjs: { pixels: Math.floor((2 ** 31 - 1) / 4), what: "the canvas limit", unit: "2 GiB RGBA" },
  mupdf: { pixels: Math.floor(2 ** 30 / 3), what: "MuPDF's pixmap limit", unit: "1 GiB RGB" },
  pdfium: { pixels: Math.floor(2 ** 30 / 3), what: "PDFium's raster limit", unit: "1 GiB RGB" },
};
