/**
 * Fonts for pdf.js in Node: embedded fonts drawn as text through Skia, and the fallback for
 * non-embedded fonts pdf.js has no data for.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { GlobalFonts } from "@napi-rs/canvas";

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
 * Embedded fonts. In Node pdf.js defaults to `disableFontFace`: it turns every glyph of an embedded
 * font into a path and fills it, because Node has no FontFace / document.fonts. With the Font Loading
 * API present, pdf.js hands its sanitised OpenType data to `new FontFace(loadedName, data)`, adds it
 * to `ownerDocument.fonts` and draws text with fillText(), which Skia rasterises from its glyph cache
 * (tracemonkey: ~1.2x faster per page, same pixels). The shim below is that API backed by
 * @napi-rs/canvas's GlobalFonts. pdf.js still draws paths where a font cannot be text: Type3 fonts
 * (no data), pattern fills and strokes, clipping and stroking render modes (CanvasGraphics.paintChar).
 *
 * pdf.js removes its faces from `fonts` when the document is destroyed or cleaned up
 * (FontLoader.clear()), which unregisters them here: a worker's font memory follows its open document.
 */

type FontKey = NonNullable<ReturnType<typeof GlobalFonts.register>>;

/**
 * GlobalFonts.register() deduplicates by content: the same bytes registered under a second name
 * (the same font in two documents, or twice in one) give the same typeface, and removing either
 * key removes it for both names. So each distinct font is registered while any face uses it.
 */
const registered = new Map<string, { key: FontKey; faces: number }>();

function acquire(data: Uint8Array, family: string): string | undefined {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const hash = createHash("sha1").update(bytes).digest("base64");
  const entry = registered.get(hash);
  // Registering known bytes again only adds the name (no copy); a failure means Skia cannot read them.
  const key = GlobalFonts.register(bytes, family);
  if (!key) return undefined;
  unused.delete(hash); // used again before its removal (a cache cleanup, then the same font): keep it
  if (entry) entry.faces++;
  else registered.set(hash, { key, faces: 1 });
  return hash;
}

/**
 * Fonts no face uses any more, removed together once the current task ends: each removal rebuilds
 * Skia's font collection, and pdf.js releases all of a document's fonts in one loop (on cleanup and
 * destroy). One by one, tracemonkey at 300 DPI spent 16% of its CPU in remove(); batched, nothing.
 */
const unused = new Map<string, FontKey>();
let flushing = false;

function release(hash: string): void {
  const entry = registered.get(hash);
  if (!entry || --entry.faces > 0) return;
  registered.delete(hash);
  unused.set(hash, entry.key);
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    if (unused.size > 0) GlobalFonts.removeBatch([...unused.values()]);
    unused.clear();
  });
}

/** Distinct fonts registered for open documents (for tests). */
export function registeredFontCount(): number {
  return registered.size;
}

/** Distinct fonts registered with Skia, including those about to be removed (for tests). */
export function skiaFontCount(): number {
  return registered.size + unused.size;
}

/** The subset of the CSS Font Loading API's FontFace that pdf.js uses. */
class SkiaFontFace {
  readonly family: string;
  readonly data: Uint8Array | undefined;
  /** The registered font's content hash, while registered. */
  hash: string | undefined;
  /** Set by SkiaFontFaceSet.add() when Skia cannot read the data. */
  error: Error | undefined;

  constructor(family: string, source: string | ArrayBufferView, _descriptors?: unknown) {
    this.family = family;
    this.data = typeof source === "string" ? undefined : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }

  /** Resolves at once: the data is in memory. Rejects when Skia could not read it (pdf.js then draws paths). */
  get loaded(): Promise<SkiaFontFace> {
    return this.error ? Promise.reject(this.error) : Promise.resolve(this);
  }

  load(): Promise<SkiaFontFace> {
    return this.loaded;
  }
}

/** `document.fonts` for pdf.js: registers each face with Skia under pdf.js's unique name, and unregisters it. */
class SkiaFontFaceSet {
  private readonly faces = new Set<SkiaFontFace>();

  add(face: SkiaFontFace): this {
    if (this.faces.has(face)) return this;
    this.faces.add(face);
    if (face.data) face.hash = acquire(face.data, face.family);
    // pdf.js awaits `loaded` right after add(): a rejection makes it draw this font's glyphs as paths.
    if (!face.hash) face.error = new Error(`Skia cannot read font ${face.family}`);
    return this;
  }

  delete(face: SkiaFontFace): boolean {
    if (!this.faces.delete(face)) return false;
    if (face.hash) release(face.hash);
    face.hash = undefined;
    return true;
  }

  /** Registered faces (for tests). */
  get size(): number {
    return this.faces.size;
  }
}

/** The `ownerDocument` pdf.js's FontLoader uses (only its `fonts`): one per open document. */
export interface FontDocument {
  fonts: SkiaFontFaceSet;
}

/**
 * Installs a global FontFace (pdf.js constructs it by its global name) if the runtime has none, and
 * returns a fresh `ownerDocument` for one document. Returns undefined when the runtime already has a
 * FontFace of its own (not Node): pdf.js then keeps its defaults.
 */
export function fontDocument(): FontDocument | undefined {
  const global = globalThis as { FontFace?: unknown };
  if (global.FontFace === undefined) global.FontFace = SkiaFontFace;
  if (global.FontFace !== SkiaFontFace) return undefined;
  return { fonts: new SkiaFontFaceSet() };
}
