import { join } from "node:path";
import { describeError, InputError, PasswordError } from "./errors.js";
import type { SourceInfo, SourceOutlineItem } from "./keep/types.js";
import type { NormalizedOptions } from "./options.js";
import { parsePageRanges } from "./pages.js";
import { layoutPage, sheetPadding, type PageLayout } from "./paper.js";
import type { PageTask } from "./pool/messages.js";
import { EngineError, MAX_CANVAS_PIXELS, PdfJsEngine } from "./worker/pdfjs.js";

/** One page of the output, in output order: a task to render, or a failure known before rendering. */
export type PlannedPage =
  | { pageNumber: number; layout: PageLayout; task: PageTask }
  | { pageNumber: number; layout: PageLayout; error: string };

export interface Plan {
  /** Page count of the input. */
  pageCount: number;
  pages: PlannedPage[];
  /** The input's bookmarks, with `keepOutline`. */
  outline?: SourceOutlineItem[];
  /** The input's document information, with `keepMetadata`. */
  info?: SourceInfo;
}

/** Sheet used for a blank stand-in when a page's own size cannot be read. */
const FALLBACK_SHEET = { width: 612, height: 792 };

/**
 * Opens the document (checking its password), reads every selected page's box and rotation, and lays it out.
 * With `images`, each task renders the whole sheet (margins and uncovered paper in the background colour).
 */
export async function planDocument(
  source: string,
  displayName: string,
  options: NormalizedOptions,
  tempDir: string,
  firstTaskId = 0,
  images = false,
): Promise<Plan> {
  const engine = await openDocument(source, displayName, options.password);
  try {
    const pageCount = engine.pageCount;
    if (pageCount < 1) throw new InputError(`${displayName} has no pages`);
    const selection = options.pages
      ? parsePageRanges(options.pages, pageCount)
      : Array.from({ length: pageCount }, (_, i) => i + 1);
    const pages: PlannedPage[] = [];
    let lastSize = FALLBACK_SHEET;
    for (const [index, pageNumber] of selection.entries()) {
      let geometry;
      try {
        geometry = await engine.geometry(pageNumber);
      } catch (error) {
        const layout = layoutPage(lastSize.width, lastSize.height, options);
        pages.push({ pageNumber, layout, error: `cannot read the page: ${describeError(error)}` });
        continue;
      }
      lastSize = { width: geometry.widthPt, height: geometry.heightPt };
      const layout = layoutPage(geometry.widthPt, geometry.heightPt, options);
      const pixels = layout.pixelWidth * layout.pixelHeight;
      if (pixels > options.maxPixels) {
        const error = `raster of ${layout.pixelWidth}x${layout.pixelHeight} = ${pixels} pixels exceeds --max-pixels ${options.maxPixels}`;
        pages.push({ pageNumber, layout, error });
        continue;
      }
      if (pixels > MAX_CANVAS_PIXELS) {
        const error = `raster of ${layout.pixelWidth}x${layout.pixelHeight} = ${pixels} pixels exceeds the canvas limit of ${MAX_CANVAS_PIXELS} pixels (2 GiB RGBA): lower --dpi`;
        pages.push({ pageNumber, layout, error });
        continue;
      }
      const id = firstTaskId + index;
      const task: PageTask = {
        id,
        source,
        password: options.password,
        pageNumber,
        width: layout.pixelWidth,
        height: layout.pixelHeight,
        scaleX: layout.scaleX,
        scaleY: layout.scaleY,
        offsetX: layout.offsetX,
        offsetY: layout.offsetY,
        background: options.background,
        format: options.format,
        quality: options.quality,
        color: options.color,
        threshold: options.threshold,
        ppi: Math.min(layout.scaleX, layout.scaleY) * 72,
        outPath: join(tempDir, `page-${String(id).padStart(6, "0")}.${{ jpeg: "jpg", png: "png", auto: "img" }[options.format]}`),
      };
      if (images) task.pad = sheetPadding(layout, options.dpi);
      if (options.keepText || options.keepLinks) {
        task.extract = { text: options.keepText, links: options.keepLinks, path: join(tempDir, `page-${String(id).padStart(6, "0")}.json`) };
      }
      pages.push({ pageNumber, layout, task });
    }
    const plan: Plan = { pageCount, pages };
    if (options.keepOutline) plan.outline = await engine.outline();
    if (options.keepMetadata) plan.info = await engine.info();
    return plan;
  } finally {
    await engine.close();
  }
}

async function openDocument(source: string, displayName: string, password: string | undefined): Promise<PdfJsEngine> {
  try {
    return await PdfJsEngine.open(source, { password });
  } catch (error) {
    if (error instanceof EngineError && error.kind === "password-required") {
      throw new PasswordError(`${displayName} is encrypted: give its password with --password`, { cause: error });
    }
    if (error instanceof EngineError && error.kind === "password-incorrect") {
      throw new PasswordError(`Wrong password for ${displayName}`, { cause: error });
    }
    throw new InputError(`${displayName} is not a readable PDF: ${describeError(error)}`, { cause: error });
  }
}
