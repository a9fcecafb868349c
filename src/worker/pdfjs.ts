/**
 * pdf.js adapter for Node: opens one document per worker and renders pages onto an
 * @napi-rs/canvas canvas. Nothing else in pdfraster imports pdf.js or the canvas.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import {
  AnnotationMode,
  getDocument,
  InvalidPDFException,
  PasswordResponses,
  VerbosityLevel,
} from "pdfjs-dist/legacy/build/pdf.mjs";
import type { PDFDocumentProxy } from "pdfjs-dist/legacy/build/pdf.mjs";

export interface OpenOptions {
  /** User or owner password of an encrypted document. */
  password?: string;
}

/** Size of the page as displayed (CropBox, after /Rotate and /UserUnit), in points. */
export interface PageGeometry {
  pageNumber: number;
  widthPt: number;
  heightPt: number;
  rotate: number;
}

export interface RenderRequest {
  /** 1-based page number. */
  pageNumber: number;
  /** Canvas size in pixels (exact). */
  width: number;
  height: number;
  /** Placement of the displayed page (origin top-left, y down, in points): pixel = point * scale + offset. */
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
  /** 0..255 RGB, fills the whole canvas before drawing. */
  background: [number, number, number];
}

export interface RenderedPage {
  width: number;
  height: number;
  /** RGBA view of the canvas pixels (opaque, so premultiplied = straight); valid until release(). */
  rgba: Buffer;
  /** loadMs: getPage; drawMs: page.render(); readbackMs: first pixel access, which pays deferred drawing. */
  timings: { loadMs: number; drawMs: number; readbackMs: number };
  release(): void;
}

export type EngineErrorKind = "password-required" | "password-incorrect" | "invalid-pdf" | "render-failed";

export class EngineError extends Error {
  override name = "EngineError";
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The largest canvas @napi-rs/canvas (Skia) can create: its RGBA buffer must stay under 2 GiB. */
export const MAX_CANVAS_PIXELS = Math.floor((2 ** 31 - 1) / 4);

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

export class PdfJsEngine {
  private constructor(private readonly doc: PDFDocumentProxy) {}

  static async open(source: string | Uint8Array, options: OpenOptions = {}): Promise<PdfJsEngine> {
    registerFallbackFonts();
    // pdf.js transfers (detaches) the buffer it is given, and rejects Node Buffers: hand it a private copy.
    const data = typeof source === "string" ? new Uint8Array(await readFile(source)) : source.slice();
    const task = getDocument({
      data,
      password: options.password,
      ...dataDirs,
      cMapPacked: true,
      isEvalSupported: false,
      disableAutoFetch: true,
      disableStream: true,
      disableRange: true,
      enableXfa: false,
      verbosity: VerbosityLevel.ERRORS,
    });
    try {
      return new PdfJsEngine(await task.promise);
    } catch (error) {
      await task.destroy().catch(() => {});
      throw toOpenError(error);
    }
  }

  get pageCount(): number {
    return this.doc.numPages;
  }

  async geometry(pageNumber: number): Promise<PageGeometry> {
    const page = await this.doc.getPage(pageNumber);
    const { width, height } = page.getViewport({ scale: 1 });
    return { pageNumber, widthPt: width, heightPt: height, rotate: page.rotate };
  }

  async render(req: RenderRequest): Promise<RenderedPage> {
    const t0 = performance.now();
    const page = await this.doc.getPage(req.pageNumber);
    const t1 = performance.now();
    const canvas = createCanvas(req.width, req.height);
    try {
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
      page.cleanup();
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
      timings: { loadMs: t1 - t0, drawMs: t2 - t1, readbackMs: t3 - t2 },
      release: () => {
        if (held) held = null;
      },
    };
  }

  async close(): Promise<void> {
    await this.doc.destroy();
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
