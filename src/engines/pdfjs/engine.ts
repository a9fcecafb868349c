/**
 * pdf.js adapter for Node: opens one document per worker and renders pages onto an
 * @napi-rs/canvas canvas. Nothing else in pdfraster imports pdf.js or the canvas.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { createCanvas, type Canvas } from "@napi-rs/canvas";
import {
  AnnotationMode,
  getDocument,
  InvalidPDFException,
  PasswordResponses,
  VerbosityLevel,
} from "pdfjs-dist/legacy/build/pdf.mjs";
import type { PDFDocumentProxy, PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { PageExtract, SourceInfo, SourceOutlineItem } from "../../keep/types.js";
import { EngineError, messageOf, saslPrep, type Engine, type OpenOptions, type PageBox, type PageGeometry, type RenderedPage, type RenderOptions, type RenderRequest } from "../engine.js";
import { chooseBox, type Rect } from "../boxes.js";
import { readRawBoxes, type RawBoxes } from "./boxes.js";
import { fontDocument, registerFallbackFonts } from "./fonts.js";
import { droppedImages, watchDroppedImages } from "./dropped-images.js";
import { extractPage, readInfo, readOutline } from "./keep.js";
import { readUriActions, type UriActionTest } from "./link-actions.js";
import { packRgb } from "./rgb.js";
import { patchDrawImageForSoftMasks, SoftMaskFilterFactory } from "./soft-mask.js";
import { viewportRect } from "./viewport.js";


export interface PdfJsOpenOptions extends OpenOptions {
  /** Heap growth in bytes after which pdf.js's caches are cleaned (tests use 0: after every operation). @default 64 MiB */
  cleanupHeapGrowth?: number;
}

const pdfjsRoot = dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
// Plain paths with a trailing slash: pdf.js's Node data factory fs.readFile()s `${base}${name}`.
const dataDirs = {
  cMapUrl: join(pdfjsRoot, "cmaps") + "/",
  standardFontDataUrl: join(pdfjsRoot, "standard_fonts") + "/",
  wasmUrl: join(pdfjsRoot, "wasm") + "/",
};

/**
 * pdf.js keeps fonts, images and page data per document for as long as it is open. On documents whose
 * pages bring new resources, a worker grew by ~1 MB per page (756 MB after 400 varied pages at 72 dpi);
 * cleaning the caches once the heap has grown this much since its last low kept it flat at ~400 MB, for
 * no more CPU. Documents that reuse their fonts never reach it, so they never pay for re-parsing them.
 */
const CLEANUP_HEAP_GROWTH = 64 * 1024 * 1024;

/** pdf.js's MediaBox when a page has none (US Letter). */
const LETTER: Rect = [0, 0, 612, 792];

export class PdfJsEngine implements Engine {
  readonly name = "pdfjs";
  /** Operations in progress on the document; pdf.js must not clean up while one runs. */
  private busy = 0;
  private heapLow = Infinity;
  private cleaning: Promise<void> = Promise.resolve();
  /** The last page's canvas, once released: the next page of the same size draws on it. */
  private spare: Canvas | undefined;
  /** Every page's boxes, read once when a box other than the CropBox is asked for. */
  private boxes: Promise<RawBoxes> | undefined;
  /** Which link annotations have URI actions, read once when a page has a web link (link-actions.ts). */
  private uriActions: Promise<UriActionTest> | undefined;
  /** The page kept for its next render (`keepPage`), and what lets pdf.js clean it up again. */
  private kept: { pageNumber: number; page: PDFPageProxy; release: () => void } | undefined;

  private constructor(
    private readonly doc: PDFDocumentProxy,
    private readonly cleanupHeapGrowth = CLEANUP_HEAP_GROWTH,
    private readonly maxImagePixels?: number,
  ) {}

  static async open(source: string | Uint8Array, options: PdfJsOpenOptions = {}): Promise<PdfJsEngine> {
    registerFallbackFonts();
    patchDrawImageForSoftMasks();
    watchDroppedImages();
    const bytes = typeof source === "string" ? await readFile(source) : source;
    const { password } = options;
    try {
      return await PdfJsEngine.load(bytes, password, options);
    } catch (error) {
      // AES-256 (R6) passwords are SASLprep'ed by their authors; pdf.js uses them raw.
      const prepared = password === undefined ? password : saslPrep(password);
      if (!(error instanceof EngineError && error.kind === "password-incorrect" && prepared !== password)) throw error;
      return await PdfJsEngine.load(bytes, prepared, options);
    }
  }

  private static async load(bytes: Uint8Array, password: string | undefined, options: PdfJsOpenOptions): Promise<PdfJsEngine> {
    const ownerDocument = fontDocument();
    const task = getDocument({
      data: new Uint8Array(bytes), // a private copy: pdf.js detaches the buffer it is given, and rejects Node Buffers
      password,
      ...dataDirs,
      cMapPacked: true,
      disableAutoFetch: true,
      disableStream: true,
      disableRange: true,
      enableXfa: false,
      // Warnings, so that a left-out image is seen (dropped-images.ts, which drops the others).
      verbosity: VerbosityLevel.WARNINGS,
      ...(options.maxImagePixels ? { maxImageSize: options.maxImagePixels } : {}),
      FilterFactory: SoftMaskFilterFactory,
      // Embedded fonts as text through Skia (fonts.ts), not a path per glyph.
      ...(ownerDocument ? { disableFontFace: false, ownerDocument: ownerDocument as never /* pdf.js types it as a DOM Document; it uses only .fonts */ } : {}),
    });
    try {
      return new PdfJsEngine(await task.promise, options.cleanupHeapGrowth, options.maxImagePixels);
    } catch (error) {
      await task.destroy().catch(() => {}); // the open error is the one to report
      throw toOpenError(error);
    }
  }

  get pageCount(): number {
    return this.doc.numPages;
  }

  async geometry(pageNumber: number, box: PageBox = "crop"): Promise<PageGeometry> {
    return this.use(() => this.readGeometry(pageNumber, box));
  }

  private async readGeometry(pageNumber: number, box: PageBox): Promise<PageGeometry> {
    const page = await this.doc.getPage(pageNumber);
    // The viewport is pdf.js's displayed space: the CropBox (cut to the MediaBox), rotated, in points.
    const viewport = page.getViewport({ scale: 1 });
    const { width, height } = viewport;
    if (box === "crop") return { pageNumber, widthPt: width, heightPt: height, rotate: page.rotate, boxX: 0, boxY: 0 };
    this.boxes ??= this.doc.getData().then(readRawBoxes);
    let raw;
    try {
      raw = await this.boxes;
    } catch (error) {
      throw new EngineError("render-failed", `cannot read the page boxes: ${messageOf(error)}`, { cause: error });
    }
    if (raw.length !== this.doc.numPages) {
      throw new EngineError("render-failed", `cannot read the page boxes: found ${raw.length} pages where pdf.js finds ${this.doc.numPages}`);
    }
    const boxes = raw[pageNumber - 1]!;
    const [left, top, right, bottom] = viewportRect(viewport, chooseBox(boxes, box, boxes.media ?? LETTER));
    return { pageNumber, widthPt: right - left, heightPt: bottom - top, rotate: page.rotate, boxX: left, boxY: top };
  }

  async render(req: RenderRequest, options: RenderOptions = {}): Promise<RenderedPage> {
    return this.use(() => this.draw(req, options.keepPage === true));
  }

  releasePage(): void {
    const kept = this.kept;
    this.kept = undefined;
    kept?.release();
    kept?.page.cleanup();
  }

  private async draw(req: RenderRequest, keep: boolean): Promise<RenderedPage> {
    const t0 = performance.now();
    let t1 = t0;
    const canvas = this.canvasFor(req.width, req.height);
    const kept = this.kept?.pageNumber === req.pageNumber ? this.kept : undefined;
    if (!kept) this.releasePage();
    let page: PDFPageProxy | undefined;
    let failed = true;
    try {
      page = kept?.page ?? (await this.doc.getPage(req.pageNumber));
      t1 = performance.now();
      const rendering = page.render({
        canvas,
        canvasContext: canvas.getContext("2d"),
        viewport: page.getViewport({ scale: 1 }),
        transform: [req.scaleX, 0, 0, req.scaleY, req.offsetX, req.offsetY],
        background: `rgb(${req.background.join(",")})`,
        // Print intent: annotations flagged "print" only, and form fields drawn with their values.
        intent: "print",
        annotationMode: AnnotationMode.ENABLE_STORAGE,
      });
      if (keep && !kept) this.kept = { pageNumber: req.pageNumber, page, release: holdOperatorList(page, rendering) };
      const droppedBefore = droppedImages();
      await rendering.promise;
      if (droppedImages() > droppedBefore) throw new Error(`an image has more than ${this.maxImagePixels} pixels (--max-pixels): pdf.js would leave it out`);
      failed = false;
    } catch (error) {
      throw new EngineError("render-failed", `Page ${req.pageNumber}: ${messageOf(error)}`, { cause: error });
    } finally {
      if (this.kept && this.kept.page === page && (failed || !keep)) this.releasePage();
      else if (!keep || failed) page?.cleanup();
    }
    const t2 = performance.now();
    // The canvas's own memory (a view that does not keep the canvas alive: hold it until release()),
    // packed as RGB: the next page on this canvas is drawn over the background pdf.js fills first.
    const rgb = packRgb(canvas.data());
    const t3 = performance.now();
    let held: Canvas | null = canvas;
    return {
      width: req.width,
      height: req.height,
      rgba: rgb,
      channels: 3,
      timings: { loadMs: t1 - t0, drawMs: t2 - t1, readbackMs: t3 - t2 },
      release: () => {
        if (held) this.spare = held;
        held = null;
      },
    };
  }

  /**
   * A canvas of the size: the spare one when it fits (pdf.js fills the whole canvas with the
   * background before drawing), else a new one. Pages of a document mostly share one size, and a new
   * 300 DPI Letter canvas is 34 MB to allocate and fault in: reusing it saved ~5% of pdf.js's CPU.
   */
  private canvasFor(width: number, height: number): Canvas {
    const spare = this.spare;
    this.spare = undefined;
    if (spare && spare.width === width && spare.height === height) {
      spare.getContext("2d").reset(); // default state: identity transform, no clip, source-over, opaque
      return spare;
    }
    // A spare that does not fit gives its pixels back now (a canvas resized to 1 x 1 frees them):
    // left to V8's collector, which does not see native memory, a band's 256 MB stayed beside the
    // next band's canvas (tracemonkey on A0 at 600 DPI: the last band's worker peaked at 1150 MB, now 920).
    if (spare) {
      spare.width = 1;
      spare.height = 1;
    }
    return createCanvas(width, height);
  }

  /** Text runs and/or links of a page, for the keep options. */
  async extract(pageNumber: number, what: { text: boolean; links: boolean }): Promise<PageExtract> {
    return this.use(async () => {
      const page = await this.doc.getPage(pageNumber);
      try {
        return await extractPage(this.doc, page, what, () => (this.uriActions ??= this.doc.getData().then(readUriActions)));
      } finally {
        page.cleanup();
      }
    });
  }

  /** The document's bookmarks, destinations resolved. */
  outline(): Promise<SourceOutlineItem[]> {
    return this.use(() => readOutline(this.doc));
  }

  /** Title, Author, Subject, Keywords and CreationDate. */
  info(): Promise<SourceInfo> {
    return this.use(() => readInfo(this.doc));
  }

  async close(): Promise<void> {
    this.releasePage();
    this.spare = undefined;
    await this.cleaning;
    await this.doc.loadingTask.destroy(); // pdf.js 6: the document is destroyed through the task that loaded it
  }

  /** Runs `op` on the document; when the last running operation ends, cleans pdf.js's caches if they grew. */
  private async use<T>(op: () => Promise<T>): Promise<T> {
    this.busy++; // before any await, so that a cleanup cannot start between this call and `op`
    try {
      await this.cleaning;
      return await op();
    } finally {
      if (--this.busy === 0) this.cleanIfGrown();
    }
  }

  private cleanIfGrown(): void {
    const used = getHeapStatistics().used_heap_size;
    this.heapLow = Math.min(this.heapLow, used);
    if (used - this.heapLow < this.cleanupHeapGrowth) return;
    this.releasePage(); // a kept page would make pdf.js refuse to clean
    this.heapLow = Infinity; // the freed caches are collected later: the next low is the new baseline
    this.cleaning = this.doc.cleanup().then(() => {}, () => {}); // freeing caches early is an optimisation: a failure only leaves them to the GC
  }
}

/**
 * pdf.js frees a page's operator list, fonts and images as soon as a print-intent render ends
 * (PDFPageProxy#tryCleanup, which gives up while the intent has a render task in progress). A
 * placeholder task in the render's intent state keeps them, so that the page's next render draws
 * from the same operator list instead of interpreting the page's contents again. Returns what
 * removes the placeholder (page.cleanup() then frees them). pdf.js internals (5.x:
 * PDFPageProxy._intentStates, RenderTask._internalRenderTask): without them nothing is kept.
 */
function holdOperatorList(page: PDFPageProxy, rendering: { _internalRenderTask?: unknown }): () => void {
  const states = (page as unknown as { _intentStates?: Map<unknown, { renderTasks?: Set<unknown> }> })._intentStates;
  const state = states && [...states.values()].find((s) => s.renderTasks?.has(rendering._internalRenderTask));
  if (!state?.renderTasks) return () => {};
  const tasks = state.renderTasks;
  // What pdf.js calls on the tasks of an intent state: new operators arrived, the page is destroyed.
  const placeholder = { operatorListChanged() {}, cancel() {}, completed: Promise.resolve() };
  tasks.add(placeholder);
  return () => void tasks.delete(placeholder);
}

function toOpenError(error: unknown): EngineError {
  if (error instanceof Error && error.name === "PasswordException") {
    // pdf.js does not export PasswordException; its `code` tells the two cases apart.
    return (error as Error & { code?: number }).code === PasswordResponses.INCORRECT_PASSWORD
      ? new EngineError("password-incorrect", "Incorrect password", { cause: error })
      : new EngineError("password-required", "The document is encrypted and needs a password", { cause: error });
  }
  if (error instanceof InvalidPDFException) {
    return new EngineError("invalid-pdf", `Not a valid PDF: ${error.message}`, { cause: error });
  }
  return new EngineError("invalid-pdf", `Cannot open PDF: ${messageOf(error)}`, { cause: error });
}
