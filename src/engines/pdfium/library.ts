/**
 * Loads PDFium (`@embedpdf/pdfium`: Chrome's PDF renderer, BSD-3, compiled to WebAssembly; MIT
 * wrapper) once per process, initialises the library and installs the system font info (fonts.ts).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import { installSystemFonts } from "./fonts.js";

/** The part of the wrapped module pdfraster uses (the package's own typings need @types/emscripten). */
export interface Pdfium {
  pdfium: {
    HEAPU8: Uint8Array;
    HEAP32: Int32Array;
    HEAPF32: Float32Array;
    wasmExports: { malloc(size: number): number; free(ptr: number): void };
    addFunction(fn: (...args: number[]) => number | void, signature: string): number;
    UTF8ToString(ptr: number): string;
  };
  PDFiumExt_Init(): void;
  FPDF_SetSystemFontInfo(info: number): void;
  FPDF_AddInstalledFont(mapper: number, face: string, charset: number): void;
  FPDF_LoadMemDocument(data: number, size: number, password: string | null): number;
  FPDF_CloseDocument(doc: number): void;
  FPDF_GetLastError(): number;
  FPDF_GetPageCount(doc: number): number;
  FPDF_GetPageSizeByIndexF(doc: number, index: number, size: number): boolean;
  EPDF_GetPageRotationByIndex(doc: number, index: number): number;
  FPDF_LoadPage(doc: number, index: number): number;
  FPDF_ClosePage(page: number): void;
  /** Each writes left, bottom, right, top (floats) and returns false when the page has no such box. */
  FPDFPage_GetMediaBox(page: number, left: number, bottom: number, right: number, top: number): boolean;
  FPDFPage_GetCropBox(page: number, left: number, bottom: number, right: number, top: number): boolean;
  FPDFPage_GetBleedBox(page: number, left: number, bottom: number, right: number, top: number): boolean;
  FPDFPage_GetTrimBox(page: number, left: number, bottom: number, right: number, top: number): boolean;
  FPDFPage_GetArtBox(page: number, left: number, bottom: number, right: number, top: number): boolean;
  FPDFBitmap_CreateEx(width: number, height: number, format: number, firstScan: number, stride: number): number;
  FPDFBitmap_FillRect(bitmap: number, left: number, top: number, width: number, height: number, argb: number): boolean;
  FPDFBitmap_Destroy(bitmap: number): void;
  FPDF_RenderPageBitmapWithMatrix(bitmap: number, page: number, matrix: number, clip: number, flags: number): void;
}

/**
 * As for MuPDF (see mupdf/engine.ts): V8 recompiles every WebAssembly function that runs "enough"
 * with TurboFan; with a 100x budget only the hot loops are, and a short-lived worker does not
 * spend its first second of CPU compiling. Set before the module is compiled, in workers only.
 */
const WASM_TIERING_BUDGET = 180_000_000;

let loading: Promise<Pdfium> | undefined;

/** Compiles PDFium and initialises the library, once. */
export function loadPdfium(): Promise<Pdfium> {
  if (!loading && process.env.PDFRASTER_WORKER === "1") setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
  loading ??= instantiate().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function instantiate(): Promise<Pdfium> {
  const require = createRequire(import.meta.url);
  // In Node the package would look for its .wasm beside a URL; hand it the bytes instead.
  const wasmBinary = await readFile(require.resolve("@embedpdf/pdfium/pdfium.wasm"));
  const { init } = await import("@embedpdf/pdfium");
  const module = (await init({
    wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength),
    // The Emscripten runtime prints its own warnings on stdout/stderr: keep them off the CLI's lines.
    print: () => {},
    printErr: (text: string) => {
      if (process.env.DEBUG !== undefined) process.stderr.write(`pdfium: ${text}\n`);
    },
  })) as unknown as Pdfium;
  module.PDFiumExt_Init();
  await installSystemFonts(module);
  return module;
}
