/**
 * PDFium adapter (`@embedpdf/pdfium`, WebAssembly). Every PDFium object and every buffer handed to
 * it lives in WebAssembly memory that the garbage collector does not see and that never shrinks:
 * the document's bytes, pages, bitmaps and matrices are freed explicitly.
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import {
  EngineError,
  messageOf,
  saslPrep,
  type Engine,
  type OpenOptions,
  type PageBox,
  type PageGeometry,
  type RenderedPage,
  type RenderOptions,
  type RenderRequest,
} from "../engine.js";
import { chooseBox, displayedRect, type Rect } from "../boxes.js";
import { RASTER_LIMITS } from "../limits.js";
import { loadPdfium, type Pdfium } from "./library.js";

/** FPDF_GetLastError() codes. */
const FPDF_ERR_PASSWORD = 4;
const FPDF_ERR_SECURITY = 5;
const LOAD_ERRORS: Record<number, string> = { 1: "unknown error", 2: "file not found or unreadable", 3: "not a PDF or corrupted", 5: "unsupported security scheme", 6: "page not found or content error" };

/** Render flags (fpdfview.h). */
const FPDF_ANNOT = 0x01;
const FPDF_REVERSE_BYTE_ORDER = 0x10;
const FPDF_PRINTING = 0x800;
/** FPDFBitmap_BGR: 3 bytes a pixel; with FPDF_REVERSE_BYTE_ORDER, R G B. */
const FPDFBITMAP_BGR = 2;

/**
 * PDFium keeps the fonts, images and colour spaces a document's pages load until the document is
 * closed: a worker grew by ~0.3 MB per page on 1,000 varied pages whose fonts and images are new
 * objects every 21 pages (bench/worker-memory.mjs). Reopening the document from the bytes it
 * already holds after this many pages drops those caches (PDFium re-reads only the cross-reference
 * table; later pages reload what they use).
 */
const REOPEN_AFTER_PAGES = 100;

export class PdfiumEngine implements Engine {
  readonly name = "pdfium";

  /** Pages rendered since the document was last opened. */
  private rendered = 0;
  /** The page kept loaded for its next render (`keepPage`): PDFium keeps its parsed contents with it. */
  private kept: { pageNumber: number; page: number } | undefined;

  private constructor(
    private readonly lib: Pdfium,
    private doc: number,
    /** The document's bytes in WASM memory: PDFium reads them until the document is closed. */
    private data: number,
    private readonly size: number,
    /** The password that opened it (as given or SASLprep'ed), to reopen it. */
    private readonly password: string | null,
    readonly pageCount: number,
  ) {}

  static async open(source: string | Uint8Array, options: OpenOptions = {}): Promise<PdfiumEngine> {
    const lib = await loadPdfium();
    const bytes = typeof source === "string" ? await readFile(source) : source;
    const { pdfium } = lib;
    const data = pdfium.wasmExports.malloc(Math.max(1, bytes.length));
    if (!data) throw new EngineError("invalid-pdf", `Cannot open PDF: ${bytes.length} bytes do not fit in PDFium's memory`);
    pdfium.HEAPU8.set(bytes, data);
    const load = (password: string | undefined): { doc: number; error: number; password: string | null } => {
      const doc = lib.FPDF_LoadMemDocument(data, bytes.length, password ?? null);
      return { doc, error: doc ? 0 : lib.FPDF_GetLastError(), password: password ?? null };
    };
    const { password } = options;
    let opened = load(password);
    // AES-256 (R6) passwords are SASLprep'ed by their authors: try the prepared form too.
    if (opened.error === FPDF_ERR_PASSWORD && password !== undefined && saslPrep(password) !== password) opened = load(saslPrep(password));
    if (opened.doc) return new PdfiumEngine(lib, opened.doc, data, bytes.length, opened.password, lib.FPDF_GetPageCount(opened.doc));
    pdfium.wasmExports.free(data);
    if (opened.error === FPDF_ERR_PASSWORD) {
      throw password === undefined
        ? new EngineError("password-required", "The document is encrypted and needs a password")
        : new EngineError("password-incorrect", "Incorrect password");
    }
    const reason = LOAD_ERRORS[opened.error] ?? `error ${opened.error}`;
    throw new EngineError("invalid-pdf", `${opened.error === FPDF_ERR_SECURITY ? "Cannot decrypt PDF" : "Not a valid PDF"}: ${reason}`);
  }

  async geometry(pageNumber: number, box: PageBox = "crop"): Promise<PageGeometry> {
    const { lib } = this;
    const doc = this.document();
    const rotate = (lib.EPDF_GetPageRotationByIndex(doc, pageNumber - 1) & 3) * 90;
    if (box !== "crop") return this.boxGeometry(pageNumber, box, rotate);
    const size = lib.pdfium.wasmExports.malloc(8);
    try {
      // The CropBox as displayed (width and height swapped by /Rotate 90 and 270), without loading the page.
      if (!lib.FPDF_GetPageSizeByIndexF(doc, pageNumber - 1, size)) {
        throw new EngineError("render-failed", `Page ${pageNumber}: PDFium cannot read its size`);
      }
      const [widthPt, heightPt] = lib.pdfium.HEAPF32.subarray(size >> 2, (size >> 2) + 2);
      return { pageNumber, widthPt: widthPt!, heightPt: heightPt!, rotate, boxX: 0, boxY: 0 };
    } finally {
      lib.pdfium.wasmExports.free(size);
    }
  }

  /** Another box than the CropBox: read every box of the page, apply the specification's fallbacks, place it in the displayed CropBox's space. */
  private boxGeometry(pageNumber: number, box: PageBox, rotate: number): PageGeometry {
    const { lib } = this;
    const page = lib.FPDF_LoadPage(this.document(), pageNumber - 1);
    if (!page) throw new EngineError("render-failed", `Page ${pageNumber}: PDFium cannot load it`);
    const out = lib.pdfium.wasmExports.malloc(16);
    try {
      const read = (get: typeof lib.FPDFPage_GetMediaBox): Rect | undefined => {
        if (!get.call(lib, page, out, out + 4, out + 8, out + 12)) return undefined;
        const [l, b, r, t] = lib.pdfium.HEAPF32.subarray(out >> 2, (out >> 2) + 4) as unknown as number[];
        const rect: Rect = [Math.min(l!, r!), Math.min(b!, t!), Math.max(l!, r!), Math.max(b!, t!)];
        return rect[2] > rect[0] && rect[3] > rect[1] ? rect : undefined;
      };
      // PDFium, like pdf.js, takes US Letter for a page without a valid MediaBox.
      const media = read(lib.FPDFPage_GetMediaBox) ?? [0, 0, 612, 792];
      const raw = { crop: read(lib.FPDFPage_GetCropBox), bleed: read(lib.FPDFPage_GetBleedBox), trim: read(lib.FPDFPage_GetTrimBox), art: read(lib.FPDFPage_GetArtBox) };
      const defined = Object.fromEntries(Object.entries(raw).filter(([, rect]) => rect !== undefined)) as Partial<Record<PageBox, Rect>>;
      const { x, y, width, height } = displayedRect(chooseBox(defined, box, media), chooseBox(defined, "crop", media), rotate);
      return { pageNumber, widthPt: width, heightPt: height, rotate, boxX: x, boxY: y };
    } finally {
      lib.pdfium.wasmExports.free(out);
      lib.FPDF_ClosePage(page);
    }
  }

  async render(req: RenderRequest, options: RenderOptions = {}): Promise<RenderedPage> {
    const { lib } = this;
    const { pdfium } = lib;
    const { width, height } = req;
    if (width * height > RASTER_LIMITS.pdfium.pixels) {
      throw new EngineError(
        "render-failed",
        `Page ${req.pageNumber}: a ${width}x${height} raster is more than PDFium can allocate (1 GiB of RGB): lower --dpi or use --engine pdfjs`,
      );
    }
    const keep = options.keepPage === true;
    const kept = this.kept?.pageNumber === req.pageNumber ? this.kept.page : 0;
    if (!kept) {
      this.releasePage();
      if (++this.rendered > REOPEN_AFTER_PAGES) this.reopen();
    }
    const doc = this.document();
    const t0 = performance.now();
    // FPDF_LoadPage reads the page dictionary; its contents are parsed by the first render and kept with the page.
    const page = kept || lib.FPDF_LoadPage(doc, req.pageNumber - 1);
    if (!page) throw new EngineError("render-failed", `Page ${req.pageNumber}: PDFium cannot load it`);
    this.kept = keep ? { pageNumber: req.pageNumber, page } : undefined;
    const t1 = performance.now();
    // Our own buffer, rows of exactly width * 3 bytes (PDFium's own would pad rows to 4 bytes).
    const pixels = pdfium.wasmExports.malloc(width * height * 3);
    const bitmap = pixels ? lib.FPDFBitmap_CreateEx(width, height, FPDFBITMAP_BGR, pixels, width * 3) : 0;
    const matrix = pdfium.wasmExports.malloc(40); // FS_MATRIX (6 floats) then FS_RECTF clip (4 floats)
    try {
      if (!bitmap || !matrix) throw new EngineError("render-failed", `Page ${req.pageNumber}: a ${width}x${height} raster does not fit in PDFium's memory`);
      const [r, g, b] = req.background;
      // FillRect writes 0xAARRGGBB as B, G, R in memory; the render below writes R, G, B: swap to match.
      lib.FPDFBitmap_FillRect(bitmap, 0, 0, width, height, (0xff000000 | (b << 16) | (g << 8) | r) >>> 0);
      // PDFium maps the page to its displayed CropBox in points (origin top-left, y down, /Rotate
      // applied), then by this matrix: exactly pixel = point * scale + offset.
      pdfium.HEAPF32.set([req.scaleX, 0, 0, req.scaleY, req.offsetX, req.offsetY, 0, 0, width, height], matrix >> 2);
      // Print intent like the other engines: annotations and widgets flagged Print, not Hidden.
      lib.FPDF_RenderPageBitmapWithMatrix(bitmap, page, matrix, matrix + 24, FPDF_ANNOT | FPDF_PRINTING | FPDF_REVERSE_BYTE_ORDER);
    } catch (error) {
      if (pixels) pdfium.wasmExports.free(pixels);
      this.kept = undefined; // closed below: a page that failed is not kept
      throw error instanceof EngineError ? error : new EngineError("render-failed", `Page ${req.pageNumber}: ${messageOf(error)}`, { cause: error });
    } finally {
      if (bitmap) lib.FPDFBitmap_Destroy(bitmap); // does not free an external buffer
      if (matrix) pdfium.wasmExports.free(matrix);
      if (this.kept?.page !== page) lib.FPDF_ClosePage(page);
    }
    const t2 = performance.now();
    // A view into WASM memory, not a copy: valid until release() as long as no other PDFium call
    // grows the memory (that would detach it); the worker encodes one page at a time.
    const rgb = Buffer.from(pdfium.HEAPU8.buffer, pixels, width * height * 3);
    let held = pixels;
    return {
      width,
      height,
      rgba: rgb,
      channels: 3,
      timings: { loadMs: t1 - t0, drawMs: t2 - t1, readbackMs: performance.now() - t2 },
      release: () => {
        if (held) pdfium.wasmExports.free(held);
        held = 0;
      },
    };
  }

  releasePage(): void {
    if (this.kept && this.doc) this.lib.FPDF_ClosePage(this.kept.page);
    this.kept = undefined;
  }

  /** Closes and reopens the document from its bytes, dropping what PDFium cached for its pages. */
  private reopen(): void {
    const doc = this.lib.FPDF_LoadMemDocument(this.data, this.size, this.password);
    if (!doc) return; // it opened before; if it cannot now, keep the open one
    this.lib.FPDF_CloseDocument(this.document());
    this.doc = doc;
    this.rendered = 1;
  }

  async close(): Promise<void> {
    this.releasePage();
    if (!this.doc) return;
    this.lib.FPDF_CloseDocument(this.doc);
    this.lib.pdfium.wasmExports.free(this.data);
    this.doc = 0;
  }

  private document(): number {
    if (!this.doc) throw new EngineError("render-failed", "The document is closed");
    return this.doc;
  }
}
