/**
 * Which engines exist, and the one place that loads one by name. Engines are loaded with a dynamic
 * import, so a process only pays for the engine it uses and pdfraster does not need an optional
 * engine's package unless asked to. Adding an engine: a folder beside pdfjs/ and one entry here.
 */
import { EngineUnavailableError, type Engine, type OpenOptions } from "./engine.js";

/** Names accepted by `--engine` / `--fallback-engine`. */
export const ENGINE_NAMES = ["pdfjs", "mupdf", "pdfium"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

interface EngineEntry {
  /** Loads the adapter's code and its library (a worker does this before it reports ready). */
  load(): Promise<void>;
  open(source: string | Uint8Array, options: OpenOptions): Promise<Engine>;
  /** The npm package an optional engine needs (not a dependency of pdfraster). */
  optional?: { name: string; license: string };
}

const ENGINES: Record<EngineName, EngineEntry> = {
  pdfjs: {
    load: async () => void (await import("./pdfjs/engine.js")),
    open: async (source, options) => (await import("./pdfjs/engine.js")).PdfJsEngine.open(source, options),
  },
  mupdf: {
    load: async () => void (await (await import("./mupdf/engine.js")).loadMuPdf()),
    open: async (source, options) => (await import("./mupdf/engine.js")).MuPdfEngine.open(source, options),
    optional: { name: "mupdf", license: "AGPL-3.0" },
  },
  pdfium: {
    load: async () => void (await (await import("./pdfium/library.js")).loadPdfium()),
    open: async (source, options) => (await import("./pdfium/engine.js")).PdfiumEngine.open(source, options),
  },
};

export function isEngineName(value: unknown): value is EngineName {
  return typeof value === "string" && (ENGINE_NAMES as readonly string[]).includes(value);
}

/** Opens `source` with the named engine. Throws EngineError (bad document or password) or EngineUnavailableError. */
export function openEngine(name: EngineName, source: string | Uint8Array, options: OpenOptions = {}): Promise<Engine> {
  return ENGINES[name].open(source, options);
}

/** Loads the engine's code without opening anything. */
export function loadEngine(name: EngineName): Promise<void> {
  return ENGINES[name].load();
}

/** The optional package `name` needs, if any. */
export function enginePackage(name: EngineName): { name: string; license: string } | undefined {
  return ENGINES[name].optional;
}

/**
 * Whether the engine's package can be found, without loading it (cheap: the master checks this
 * before it plans, so that a missing optional package is a one-line usage error, not failed pages).
 */
export function engineAvailable(name: EngineName): boolean {
  const pkg = ENGINES[name].optional;
  if (!pkg) return true;
  try {
    import.meta.resolve(pkg.name);
    return true;
  } catch {
    return false;
  }
}

/** The error for an engine whose optional package is missing. */
export function engineUnavailable(name: EngineName, options?: ErrorOptions): EngineUnavailableError {
  return new EngineUnavailableError(name, ENGINES[name].optional ?? { name, license: "unknown" }, options);
}
