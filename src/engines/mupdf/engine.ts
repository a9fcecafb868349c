/**
 * MuPDF.js adapter (the optional `mupdf` package, AGPL-3.0, WebAssembly). Loaded only by a dynamic
 * import when `--engine mupdf` asks for it. Every MuPDF object lives in WASM memory that the
 * garbage collector does not see: each page, pixmap, device and annotation is destroyed explicitly.
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import type * as MuPdfModule from "mupdf";
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
import { RASTER_LIMITS } from "../limits.js";
import { engineUnavailable } from "../registry.js";

type MuPdf = typeof MuPdfModule;

let loading: Promise<MuPdf> | undefined;

/**
 * V8 compiles WebAssembly with its baseline compiler (Liftoff) and recompiles each function that
 * runs "enough" with TurboFan on background threads. MuPDF is a 10 MB module: with V8's default
 * budget (1.8 M) each worker spends most of its first second of CPU on that recompilation, competing
 * with the other workers for the cores. 100 times the budget recompiles only the hot inner loops:
 * tracemonkey at 300 DPI with 2 workers went from 1.03 s (1.60 s CPU) to 0.87-0.91 s (1.30 s CPU),
 * and a 504-page document took the same time (10.9 s). Set before the module is compiled; V8 ignores
 * a flag it does not know (with a line on the worker's stderr), so this is safe on other Node versions.
 */
const WASM_TIERING_BUDGET = 180_000_000;

/** Imports `mupdf` once (it compiles its WASM at import). Rejects with EngineUnavailableError when not installed. */
export function loadMuPdf(): Promise<MuPdf> {
  if (!loading && process.env.PDFRASTER_WORKER === "1") setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
  loading ??= import("mupdf").then(
    (mupdf) => {
      // MuPDF reports the errors it recovers from (and many warnings) on stderr by default: keep them
      // off the CLI's one-line messages and out of the worker's crash reasons, except with DEBUG.
      const log = (message: string): void => void process.stderr.write(`mupdf: ${message}\n`);
      mupdf.setLog(process.env.DEBUG === undefined ? {} : { error: log, warning: log });
      return mupdf;
    },
    (error: unknown) => {
      loading = undefined;
      const missing = (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && /'mupdf'/.test(String(error));
      throw missing ? engineUnavailable("mupdf", { cause: error }) : error;
    },
  );
  return loading;
}

const MUPDF_BOXES: Record<PageBox, MuPdfModule.PageBox> = { media: "MediaBox", crop: "CropBox", bleed: "BleedBox", trim: "TrimBox", art: "ArtBox" };

/** Annotation flags (PDF 32000-1 12.5.3). */
const ANNOT_INVISIBLE = 1;
const ANNOT_HIDDEN = 2;
const ANNOT_PRINT = 4;

/** A page ready to be drawn: the loaded page, and where the request's space begins. */
interface Contents {
  pageNumber: number;
  /** The page's CropBox and MediaBox as displayed (before any widening). */
  crop: MuPdfModule.Rect;
  media: MuPdfModule.Rect;
  /** Drawn with the CropBox widened to the MediaBox (the request shows more than the CropBox). */
  widened: boolean;
  /** The request space's origin (the displayed CropBox's top-left corner) in the drawn page's space. */
  origin: [number, number];
  run(device: MuPdfModule.Device, ctm: MuPdfModule.Matrix): void;
  destroy(): void;
}

export class MuPdfEngine implements Engine {
  readonly name = "mupdf";
  /** The page kept loaded for its next render (`keepPage`). */
  private kept: Contents | undefined;

  private constructor(
    private readonly mupdf: MuPdf,
    private doc: MuPdfModule.Document | undefined,
    readonly pageCount: number,
  ) {}

  static async open(source: string | Uint8Array, options: OpenOptions = {}): Promise<MuPdfEngine> {
    const mupdf = await loadMuPdf();
    const data = typeof source === "string" ? await readFile(source) : source;
    let doc: MuPdfModule.Document;
    try {
      doc = mupdf.Document.openDocument(data, "application/pdf");
    } catch (error) {
      throw new EngineError("invalid-pdf", `Cannot open PDF: ${messageOf(error)}`, { cause: error });
    }
    try {
      if (doc.needsPassword()) {
        if (options.password === undefined) {
          throw new EngineError("password-required", "The document is encrypted and needs a password");
        }
        // AES-256 (R6) passwords are SASLprep'ed by their authors; MuPDF uses them raw, like pdf.js.
        const { password } = options;
        if (!doc.authenticatePassword(password) && !doc.authenticatePassword(saslPrep(password))) {
          throw new EngineError("password-incorrect", "Incorrect password");
        }
      }
      return new MuPdfEngine(mupdf, doc, doc.countPages());
    } catch (error) {
      doc.destroy();
      if (error instanceof EngineError) throw error;
      throw new EngineError("invalid-pdf", `Cannot open PDF: ${messageOf(error)}`, { cause: error });
    }
  }

  async geometry(pageNumber: number, box: PageBox = "crop"): Promise<PageGeometry> {
    const page = this.document().loadPage(pageNumber - 1);
    try {
      // The bounds are the CropBox as displayed: rotated, in points, origin top-left. Another box's
      // are in the same space, with the specification's fallbacks and cut to the MediaBox.
      const [cx, cy] = page.getBounds();
      const [x0, y0, x1, y1] = box === "crop" ? page.getBounds() : page.getBounds(MUPDF_BOXES[box]);
      return { pageNumber, widthPt: x1 - x0, heightPt: y1 - y0, rotate: rotationOf(page), boxX: x0 - cx, boxY: y0 - cy };
    } finally {
      page.destroy();
    }
  }

  async render(req: RenderRequest, options: RenderOptions = {}): Promise<RenderedPage> {
    const { mupdf } = this;
    if (req.width * req.height > RASTER_LIMITS.mupdf.pixels) {
      throw new EngineError(
        "render-failed",
        `Page ${req.pageNumber}: a ${req.width}x${req.height} raster is more than MuPDF can allocate (1 GiB of RGB): lower --dpi or use --engine pdfjs`,
      );
    }
    const keep = options.keepPage === true;
    const t0 = performance.now();
    let contents: Contents | undefined;
    let pixmap: MuPdfModule.Pixmap | undefined;
    let device: MuPdfModule.DrawDevice | undefined;
    let t1 = t0;
    let failed = true;
    try {
      const kept = this.kept;
      contents = kept?.pageNumber === req.pageNumber && kept.widened === leavesCropBox(kept.crop, kept.media, req) ? kept : undefined;
      if (!contents) {
        this.releasePage();
        contents = this.load(req);
        // A page drawn with its CropBox widened is not kept: the document must not stay changed.
        if (keep && !contents.widened) this.kept = contents;
      }
      t1 = performance.now();
      // RGB without alpha: the encoder takes it as it is (a third less to encode than RGBA, and faster).
      pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceRGB, [0, 0, req.width, req.height], false);
      fill(pixmap, req.background);
      device = new mupdf.DrawDevice(mupdf.Matrix.identity, pixmap);
      const [x0, y0] = contents.origin;
      contents.run(device, [req.scaleX, 0, 0, req.scaleY, req.offsetX - x0 * req.scaleX, req.offsetY - y0 * req.scaleY]);
      device.close();
      failed = false;
    } catch (error) {
      pixmap?.destroy();
      throw new EngineError("render-failed", `Page ${req.pageNumber}: ${messageOf(error)}`, { cause: error });
    } finally {
      device?.destroy();
      if (contents === this.kept && (failed || !keep)) this.releasePage();
      else if (contents !== this.kept) contents?.destroy();
    }
    const t2 = performance.now();
    const pixels = pixmap.getPixels();
    const bytes = req.width * req.height * 3;
    if (pixels.byteLength !== bytes || pixmap.getStride() !== req.width * 3) {
      pixmap.destroy();
      throw new EngineError("render-failed", `Page ${req.pageNumber}: MuPDF returned ${pixels.byteLength} bytes, expected ${bytes}`);
    }
    // A view into WASM memory, not a copy: valid until release() as long as no other MuPDF call runs
    // (one that grows the WASM memory would detach it); the worker encodes one page at a time.
    const rgba = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
    const t3 = performance.now();
    const held = pixmap;
    return {
      width: req.width,
      height: req.height,
      rgba,
      channels: 3,
      timings: { loadMs: t1 - t0, drawMs: t2 - t1, readbackMs: t3 - t2 },
      release: () => held.destroy(), // idempotent: destroy() zeroes the pointer
    };
  }

  /**
   * Loads the page for `req` (with its CropBox widened when the request shows more). A kept page is
   * the loaded page, interpreted again by each render: a display list recorded once and replayed per
   * band drew some pixels differently (up to 15 levels at an image's edge on the sample's page 5) for
   * about 14% less CPU, so the bands keep the pixels of the whole page instead.
   */
  private load(req: RenderRequest): Contents {
    const index = req.pageNumber - 1;
    let page: MuPdfModule.Page | undefined = this.document().loadPage(index);
    let restoreCropBox: (() => void) | undefined;
    try {
      // The request's space is the CropBox's (origin at its displayed top-left corner).
      const crop = page.getBounds();
      const media = page.getBounds("MediaBox");
      const widened = leavesCropBox(crop, media, req);
      let origin: [number, number] = [crop[0], crop[1]];
      if (widened) {
        // MuPDF clips the contents to the CropBox; a raster of more (`--box media`, or a BleedBox
        // beyond the CropBox) is drawn with the CropBox widened to the MediaBox for this render only.
        page.destroy();
        page = undefined;
        restoreCropBox = widenCropBox(this.document() as MuPdfModule.PDFDocument, index);
        page = this.document().loadPage(index);
        const [nx, ny] = page.getBounds("MediaBox");
        // The two spaces differ by a translation: where the MediaBox's corner moved to.
        origin = [crop[0] + nx - media[0], crop[1] + ny - media[1]];
      }
      const loaded = page;
      const restore = restoreCropBox;
      page = undefined;
      restoreCropBox = undefined;
      return {
        pageNumber: req.pageNumber,
        crop,
        media,
        widened,
        origin,
        run: (device, ctm) => {
          loaded.runPageContents(device, ctm);
          runPrintableAnnotations(loaded, device, ctm);
        },
        destroy: () => {
          loaded.destroy();
          restore?.();
        },
      };
    } finally {
      page?.destroy();
      restoreCropBox?.();
    }
  }

  releasePage(): void {
    const kept = this.kept;
    this.kept = undefined;
    kept?.destroy();
  }

  async close(): Promise<void> {
    this.releasePage();
    this.doc?.destroy();
    this.doc = undefined;
    // Drop the fonts, images and glyphs MuPDF cached for the document.
    this.mupdf.emptyStore();
  }

  private document(): MuPdfModule.Document {
    if (!this.doc) throw new EngineError("render-failed", "The document is closed");
    return this.doc;
  }
}

/** Whether the request's raster shows more than the page's CropBox (by more than a hundredth of a point); `crop` and `media` are the page's bounds. */
function leavesCropBox(crop: MuPdfModule.Rect, media: MuPdfModule.Rect, req: RenderRequest): boolean {
  const [x0, y0, x1, y1] = crop;
  const [mx0, my0, mx1, my1] = media;
  if (mx0 >= x0 && my0 >= y0 && mx1 <= x1 && my1 <= y1) return false; // nothing outside the CropBox to show
  const e = 0.01;
  const left = -req.offsetX / req.scaleX;
  const top = -req.offsetY / req.scaleY;
  const right = (req.width - req.offsetX) / req.scaleX;
  const bottom = (req.height - req.offsetY) / req.scaleY;
  return left < -e || top < -e || right > x1 - x0 + e || bottom > y1 - y0 + e;
}

/** Sets the page's CropBox to its MediaBox in memory (never saved); returns what puts the old one back. */
function widenCropBox(doc: MuPdfModule.PDFDocument, index: number): () => void {
  const dict = doc.findPage(index);
  const own = dict.get("CropBox");
  const had = !own.isNull();
  dict.put("CropBox", dict.getInheritable("MediaBox"));
  return () => {
    if (had) dict.put("CropBox", own);
    else dict.delete("CropBox");
  };
}

/** Fills the RGB pixmap with a colour. */
function fill(pixmap: MuPdfModule.Pixmap, [r, g, b]: [number, number, number]): void {
  if (r === g && g === b) {
    pixmap.clear(r); // native memset
    return;
  }
  const pixels = pixmap.getPixels();
  Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).fill(Buffer.from([r, g, b]));
}

/**
 * Draws the annotations and form fields a printer would (print intent, as the pdf.js engine uses):
 * those flagged Print and not Hidden. `Page.run()` would use the on-screen rule instead.
 */
function runPrintableAnnotations(page: MuPdfModule.Page, device: MuPdfModule.Device, ctm: MuPdfModule.Matrix): void {
  const pdfPage = page as MuPdfModule.PDFPage;
  if (typeof pdfPage.getAnnotations !== "function") return;
  const annotations = [...pdfPage.getAnnotations(), ...pdfPage.getWidgets()];
  try {
    for (const annotation of annotations) {
      const flags = annotation.getFlags();
      if (flags & ANNOT_PRINT && !(flags & (ANNOT_HIDDEN | ANNOT_INVISIBLE))) annotation.run(device, ctm);
    }
  } finally {
    for (const annotation of annotations) annotation.destroy();
  }
}

/** /Rotate of a PDF page, read off the page transform (which includes it and the y flip). */
function rotationOf(page: MuPdfModule.Page): number {
  const pdfPage = page as MuPdfModule.PDFPage;
  if (typeof pdfPage.getTransform !== "function") return 0;
  const [a, b] = pdfPage.getTransform();
  return (Math.round((Math.atan2(b, a) * 180) / Math.PI / 90) * 90 + 360) % 360;
}
