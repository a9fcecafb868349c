/**
 * What the opt-in `keep*` options carry over from the input, as read by the engine. Positions are
 * in the page's displayed space (points, origin top-left, y down, after /Rotate and CropBox), the
 * space that a {@link PageLayout}'s scale and offset map to raster pixels.
 */

/** A place in the input: a 1-based page and the top-left point of the view (null: unspecified). */
export interface SourceDest {
  page: number;
  x: number | null;
  y: number | null;
}

/** One run of text: `matrix` maps (0,0) to the baseline start, (1,0) to its end, (0,1) to one font size above the start. */
export interface SourceTextRun {
  text: string;
  matrix: [number, number, number, number, number, number];
}

/** A link annotation's rectangle [x1, y1, x2, y2] and its target. */
export type SourceLink = { rect: [number, number, number, number]; url: string } | { rect: [number, number, number, number]; dest: SourceDest };

/** The per-page sidecar a worker writes next to the page image. */
export interface PageExtract {
  text?: SourceTextRun[];
  /** Text runs left out as hidden (keep/visibility.ts); absent when every run was kept (`keepText: "all"`). */
  hidden?: number;
  /** The page had more text than the worker reads (pdfjs/keep.ts MAX_TEXT_RUNS, MAX_TEXT_CHARS): `text` is its beginning. */
  truncated?: boolean;
  links?: SourceLink[];
}

/** Which text `keepText` keeps: only what is visible in the page's render (what a bare `--keep-text` means), or every run. */
export const KEEP_TEXT_MODES = ["visible", "all"] as const;
export type KeepTextMode = (typeof KEEP_TEXT_MODES)[number];

/** One bookmark of the input. */
export interface SourceOutlineItem {
  title: string;
  dest: SourceDest | null;
  url: string | null;
  open: boolean;
  bold: boolean;
  italic: boolean;
  /** 0..255 RGB. */
  color: [number, number, number];
  children: SourceOutlineItem[];
}

/** The document information kept by `keepMetadata`. */
export interface SourceInfo {
  title?: string;
  author?: string;
  subject?: string;
  keywords?: string;
  creationDate?: Date;
}
