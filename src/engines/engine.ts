/**
 * The renderer interface every engine implements, and the errors engines throw. Which engines exist
 * and how each is loaded is registry.ts's business; the adapters live in one folder each.
 */
import type { EngineName } from "./registry.js";

export type { EngineName };

export interface OpenOptions {
  /** User or owner password of an encrypted document. */
  password?: string;
  /**
   * Most pixels of one image (pdf.js: its `maxImageSize`; a page with a bigger image fails). PDFium and
   * MuPDF have no such limit: the worker's memory cap (--max-worker-memory) stands for it.
   */
  maxImagePixels?: number;
}

/**
 * The page boxes (PDF 32000-1 14.11.2) a page can be rasterized by. A box a page lacks falls back
 * as the specification says: bleed, trim and art to the CropBox, the CropBox to the MediaBox; every
 * box is cut to the MediaBox.
 */
export const PAGE_BOXES = ["media", "crop", "bleed", "trim", "art"] as const;
export type PageBox = (typeof PAGE_BOXES)[number];

/**
 * A page box as displayed (after /Rotate and /UserUnit), in points. Renders are placed in the
 * page's displayed space, whose origin is the displayed CropBox's top-left corner (y down); the box
 * is the rectangle `boxX, boxY, widthPt, heightPt` in it (0, 0 and the CropBox's size for `crop`).
 */
export interface PageGeometry {
  pageNumber: number;
  widthPt: number;
  heightPt: number;
  rotate: number;
  boxX: number;
  boxY: number;
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

export interface RenderOptions {
  /**
   * More renders of this page follow in this process (the other bands of a big page): keep the page
   * loaded for them instead of loading it again (PDFium and MuPDF: the loaded page; pdf.js also its
   * operator list, so that its contents are not interpreted again). The kept page is freed by the next render of another page
   * or without `keepPage`, by releasePage() and by close(); an engine holds one page at most.
   * Pixels are the same either way. @default false
   */
  keepPage?: boolean;
}

export interface RenderedPage {
  width: number;
  height: number;
  /**
   * The pixels, row by row with no padding, `channels` bytes each: RGBA (4) or RGB (3); valid until
   * release(). The page is drawn on an opaque background, so the colour bytes are final and an alpha
   * byte carries nothing (the encoder drops it).
   */
  rgba: Buffer;
  channels: 3 | 4;
  /** loadMs: parse the page; drawMs: draw it; readbackMs: reach its pixels (pays deferred drawing in pdf.js). */
  timings: { loadMs: number; drawMs: number; readbackMs: number };
  release(): void;
}

/** One open document. Methods may be called one at a time only (a worker renders one page at a time). */
export interface Engine {
  readonly name: EngineName;
  readonly pageCount: number;
  /** The page's `box` (default `crop`) as displayed; drawing outside the CropBox works the same (engines do not clip to it). */
  geometry(pageNumber: number, box?: PageBox): Promise<PageGeometry>;
  render(req: RenderRequest, options?: RenderOptions): Promise<RenderedPage>;
  /** Frees the page kept by `keepPage`, if any (the worker moves on, or memory is short). */
  releasePage(): void;
  /** Frees the document and everything the engine holds for it. */
  close(): Promise<void>;
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

/** The engine's optional package is not installed. */
export class EngineUnavailableError extends Error {
  override name = "EngineUnavailableError";
  constructor(
    readonly engine: EngineName,
    pkg: { name: string; license: string },
    options?: ErrorOptions,
  ) {
    super(
      `The ${engine} engine needs the optional package \`${pkg.name}\` (${pkg.license}), which is not installed: run \`npm install ${pkg.name}\` where pdfraster is installed`,
      options,
    );
  }
}

/** RFC 4013 in short: non-ASCII spaces become spaces, "commonly mapped to nothing" characters go, then NFKC. */
export function saslPrep(password: string): string {
  return password
    .replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g, " ")
    .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, "")
    .normalize("NFKC");
}

/** The message of an error an engine's library threw (not always an Error). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
