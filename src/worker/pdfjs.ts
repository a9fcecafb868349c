/**
 * pdf.js adapter for Node: opens one document per worker and renders pages onto an
 * @napi-rs/canvas canvas. Nothing else in pdfraster imports pdf.js or the canvas.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { createCanvas, GlobalFonts, type Canvas, type SKRSContext2D } from "@napi-rs/canvas";
import {
  AnnotationMode,
  getDocument,
  InvalidPDFException,
  PasswordResponses,
  VerbosityLevel,
} from "pdfjs-dist/legacy/build/pdf.mjs";
import type { PDFDocumentProxy, PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { PageExtract, SourceInfo, SourceOutlineItem } from "../keep/types.js";
import { EngineError, saslPrep, type Engine, type OpenOptions, type PageGeometry, type RenderedPage, type RenderRequest } from "./engine.js";
import { extractPage, readInfo, readOutline } from "./pdfjs-keep.js";


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

/** pdf.js draws non-embedded fonts it has no data for with fillText(generic family); @napi-rs/canvas has no glyph fallback. */
const FALLBACK_FAMILIES = ["sans-serif", "serif", "monospace"] as const;
let fallbackFontsRegistered = false;

/** Registers one Latin+CJK font from npm under the generic family names pdf.js asks for. Idempotent. */
export function registerFallbackFonts(): void {
  if (fallbackFontsRegistered) return;
  const font = createRequire(import.meta.url).resolve(
    "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
  );
  for (const family of FALLBACK_FAMILIES) {
    if (!GlobalFonts.registerFromPath(font, family)) throw new Error(`Cannot register font ${font} as ${family}`);
  }
  fallbackFontsRegistered = true;
}

/*
 * Soft masks. pdf.js turns a Luminosity (or transfer-mapped Alpha) soft mask into alpha with an SVG
 * filter: it sets `layerCtx.filter = addLuminosityFilter(map)`, then draws the mask canvas with
 * "destination-in". In Node its filter factory returns "none", so the mask is ignored and masked
 * fades come out as solid boxes. Here the factory returns a marker that @napi-rs/canvas keeps as-is,
 * and a wrapped drawImage() does the filter's work on the mask pixels in JS.
 */
const MASK_FILTER_PREFIX = "pdfraster-mask-";
const maskFilters = new Map<string, { luminosity: boolean; map: Uint8Array | null }>();

class SoftMaskFilterFactory {
  addFilter(): string {
    return "none"; // transfer functions on painting (ExtGState /TR): not supported
  }
  addHCMFilter(): string {
    return "none";
  }
  addHighlightHCMFilter(): string {
    return "none";
  }
  addAlphaFilter(map: Uint8Array): string {
    return maskFilter(false, map);
  }
  addLuminosityFilter(map: Uint8Array | null): string {
    return maskFilter(true, map);
  }
  destroy(): void {}
}

function maskFilter(luminosity: boolean, map: Uint8Array | null): string {
  const key = `${MASK_FILTER_PREFIX}${luminosity ? "l" : "a"}-${map ? map.join(".") : ""}`;
  maskFilters.set(key, { luminosity, map });
  return key;
}

let drawImagePatched = false;
function patchDrawImageForSoftMasks(): void {
  if (drawImagePatched) return;
  const proto = Object.getPrototypeOf(createCanvas(1, 1).getContext("2d")) as SKRSContext2D;
  const nativeDrawImage = proto.drawImage as (this: SKRSContext2D, ...args: unknown[]) => void;
  proto.drawImage = function (this: SKRSContext2D, ...args: unknown[]) {
    if (!this.filter.startsWith(MASK_FILTER_PREFIX)) return nativeDrawImage.apply(this, args);
    const filter = maskFilters.get(this.filter);
    this.filter = "none"; // @napi-rs/canvas crashes on a filter string it cannot parse
    if (!filter || args.length !== 9) return nativeDrawImage.apply(this, args);
    const [image, sx, sy, sw, sh, dx, dy, dw, dh] = args as [Canvas, ...number[]];
    const pixels = image.getContext("2d").getImageData(sx!, sy!, sw!, sh!);
    const { data } = pixels;
    for (let i = 0; i < data.length; i += 4) {
      // Luminosity of the mask composited over black (the default backdrop); pdf.js has already painted any /BC.
      const value = filter.luminosity
        ? Math.round(((0.2125 * data[i]! + 0.7154 * data[i + 1]! + 0.0721 * data[i + 2]!) * data[i + 3]!) / 255)
        : data[i + 3]!;
      data[i + 3] = filter.map ? filter.map[value]! : value;
    }
    const alphaMask = createCanvas(sw!, sh!);
    alphaMask.getContext("2d").putImageData(pixels, 0, 0);
    nativeDrawImage.call(this, alphaMask, 0, 0, sw, sh, dx, dy, dw, dh);
  } as SKRSContext2D["drawImage"];
  drawImagePatched = true;
}

/**
 * pdf.js keeps fonts, images and page data per document for as long as it is open. On documents whose
 * pages bring new resources, a worker grew by ~1 MB per page (756 MB after 400 varied pages at 72 dpi);
 * cleaning the caches once the heap has grown this much since its last low kept it flat at ~400 MB, for
 * no more CPU. Documents that reuse their fonts never reach it, so they never pay for re-parsing them.
 */
const CLEANUP_HEAP_GROWTH = 64 * 1024 * 1024;

export class PdfJsEngine implements Engine {
  readonly name = "pdfjs";
  /** Operations in progress on the document; pdf.js must not clean up while one runs. */
  private busy = 0;
  private heapLow = Infinity;
  private cleaning: Promise<void> = Promise.resolve();

  private constructor(
    private readonly doc: PDFDocumentProxy,
    private readonly cleanupHeapGrowth = CLEANUP_HEAP_GROWTH,
  ) {}

  static async open(source: string | Uint8Array, options: PdfJsOpenOptions = {}): Promise<PdfJsEngine> {
    registerFallbackFonts();
    patchDrawImageForSoftMasks();
    const bytes = typeof source === "string" ? await readFile(source) : source;
    const { password } = options;
    try {
      return await PdfJsEngine.load(bytes, password, options.cleanupHeapGrowth);
    } catch (error) {
      // AES-256 (R6) passwords are SASLprep'ed by their authors; pdf.js uses them raw.
      const prepared = password === undefined ? password : saslPrep(password);
      if (!(error instanceof EngineError && error.kind === "password-incorrect" && prepared !== password)) throw error;
      return await PdfJsEngine.load(bytes, prepared, options.cleanupHeapGrowth);
    }
  }

  private static async load(bytes: Uint8Array, password: string | undefined, cleanupHeapGrowth?: number): Promise<PdfJsEngine> {
    const task = getDocument({
      data: new Uint8Array(bytes), // a private copy: pdf.js detaches the buffer it is given, and rejects Node Buffers
      password,
      ...dataDirs,
      cMapPacked: true,
      isEvalSupported: false,
      disableAutoFetch: true,
      disableStream: true,
      disableRange: true,
      enableXfa: false,
      verbosity: VerbosityLevel.ERRORS,
      FilterFactory: SoftMaskFilterFactory,
    });
    try {
      return new PdfJsEngine(await task.promise, cleanupHeapGrowth);
    } catch (error) {
      await task.destroy().catch(() => {});
      throw toOpenError(error);
    }
  }

  get pageCount(): number {
    return this.doc.numPages;
  }

  async geometry(pageNumber: number): Promise<PageGeometry> {
    return this.use(() => this.readGeometry(pageNumber));
  }

  private async readGeometry(pageNumber: number): Promise<PageGeometry> {
    const page = await this.doc.getPage(pageNumber);
    const { width, height } = page.getViewport({ scale: 1 });
    return { pageNumber, widthPt: width, heightPt: height, rotate: page.rotate };
  }

  async render(req: RenderRequest): Promise<RenderedPage> {
    return this.use(() => this.draw(req));
  }

  private async draw(req: RenderRequest): Promise<RenderedPage> {
    const t0 = performance.now();
    let t1 = t0;
    const canvas = createCanvas(req.width, req.height);
    let page: PDFPageProxy | undefined;
    try {
      page = await this.doc.getPage(req.pageNumber);
      t1 = performance.now();
      await page.render({
        canvas,
        canvasContext: canvas.getContext("2d"),
        viewport: page.getViewport({ scale: 1 }),
        transform: [req.scaleX, 0, 0, req.scaleY, req.offsetX, req.offsetY],
        background: `rgb(${req.background.join(",")})`,
        // Print intent: annotations flagged "print" only, and form fields drawn with their values.
        intent: "print",
        annotationMode: AnnotationMode.ENABLE_STORAGE,
      }).promise;
    } catch (error) {
      throw new EngineError("render-failed", `Page ${req.pageNumber}: ${messageOf(error)}`, { cause: error });
    } finally {
      page?.cleanup();
    }
    const t2 = performance.now();
    const rgba = canvas.data();
    const t3 = performance.now();
    // rgba is a view that does not keep the canvas alive: hold the canvas until release().
    let held: typeof canvas | null = canvas;
    return {
      width: req.width,
      height: req.height,
      rgba,
      channels: 4,
      timings: { loadMs: t1 - t0, drawMs: t2 - t1, readbackMs: t3 - t2 },
      release: () => {
        if (held) held = null;
      },
    };
  }

  /** Text runs and/or links of a page, for the keep options. */
  async extract(pageNumber: number, what: { text: boolean; links: boolean }): Promise<PageExtract> {
    return this.use(async () => {
      const page = await this.doc.getPage(pageNumber);
      try {
        return await extractPage(this.doc, page, what);
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
    await this.cleaning;
    await this.doc.destroy();
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
    this.heapLow = Infinity; // the freed caches are collected later: the next low is the new baseline
    this.cleaning = this.doc.cleanup().catch(() => {});
  }
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
