/**
 * The renderer interface every engine implements (pdf.js, MuPDF.js), and the one place that picks
 * an engine by name. Engines are loaded with a dynamic import, so a process only pays for the
 * engine it uses and pdfraster does not need the optional `mupdf` package unless asked to.
 */

/** Names accepted by `--engine` / `--fallback-engine`. */
export const ENGINE_NAMES = ["pdfjs", "mupdf"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

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
  geometry(pageNumber: number): Promise<PageGeometry>;
  render(req: RenderRequest): Promise<RenderedPage>;
  /** Frees the document and everything the engine holds for it. */
  close(): Promise<void>;
}

/**
 * The largest raster each engine can draw, checked by the planner: @napi-rs/canvas (Skia) needs its
 * RGBA buffer under 2 GiB; MuPDF refuses a pixmap over 1 GiB (its RGB).
 */
export const RASTER_LIMITS: Record<EngineName, { pixels: number; what: string }> = {
  pdfjs: { pixels: Math.floor((2 ** 31 - 1) / 4), what: "the canvas limit" },
  mupdf: { pixels: Math.floor(2 ** 30 / 3), what: "MuPDF's pixmap limit" },
};
const LIMIT_UNITS: Record<EngineName, string> = { pdfjs: "2 GiB RGBA", mupdf: "1 GiB RGB" };

/** Why a raster of `pixels` is too large for every engine that may draw it, or undefined when one can. */
export function rasterTooLarge(width: number, height: number, engines: EngineName[]): string | undefined {
  const pixels = width * height;
  const fits = engines.some((name) => pixels <= RASTER_LIMITS[name].pixels);
  if (fits) return undefined;
  const name = engines[0]!;
  const { pixels: limit, what } = RASTER_LIMITS[name];
  return `raster of ${width}x${height} = ${pixels} pixels exceeds ${what} of ${limit} pixels (${LIMIT_UNITS[name]}): lower --dpi`;
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

/** The engine's optional package is not installed (only `mupdf` can be missing: pdf.js is a dependency). */
export class EngineUnavailableError extends Error {
  override name = "EngineUnavailableError";
  constructor(
    readonly engine: EngineName,
    options?: ErrorOptions,
  ) {
    super(
      `The ${engine} engine needs the optional package \`mupdf\` (AGPL-3.0), which is not installed: run \`npm install mupdf\` where pdfraster is installed`,
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

export function isEngineName(value: unknown): value is EngineName {
  return typeof value === "string" && (ENGINE_NAMES as readonly string[]).includes(value);
}

/** Opens `source` with the named engine. Throws EngineError (bad document or password) or EngineUnavailableError. */
export async function openEngine(name: EngineName, source: string | Uint8Array, options: OpenOptions = {}): Promise<Engine> {
  if (name === "mupdf") {
    const { MuPdfEngine } = await loadMuPdfAdapter();
    return MuPdfEngine.open(source, options);
  }
  const { PdfJsEngine } = await import("./pdfjs.js");
  return PdfJsEngine.open(source, options);
}

/** Loads the engine's code without opening anything (a worker does this before it reports ready). */
export async function loadEngine(name: EngineName): Promise<void> {
  if (name === "mupdf") await (await loadMuPdfAdapter()).loadMuPdf();
  else await import("./pdfjs.js");
}

/**
 * Whether the engine's package can be found, without loading it (cheap: the master checks this
 * before it plans, so that a missing optional package is a one-line usage error, not failed pages).
 */
export function engineAvailable(name: EngineName): boolean {
  if (name !== "mupdf") return true;
  try {
    import.meta.resolve("mupdf");
    return true;
  } catch {
    return false;
  }
}

function loadMuPdfAdapter(): Promise<typeof import("./mupdf.js")> {
  return import("./mupdf.js");
}
