import { join } from "node:path";
import { InputError } from "./errors.js";
import type { SourceInfo, SourceOutlineItem } from "./keep/types.js";
import type { NormalizedOptions } from "./options.js";
import { countPages, expandPages, parsePageSpec } from "./pages.js";
import { layoutPage, sheetPadding, type PageLayout } from "./paper.js";
import type { PageTask } from "./pool/messages.js";
import { RASTER_LIMITS } from "./engines/limits.js";
import { bandedTasks, scaledPlacement } from "./bands/plan.js";
import { textCheckScale } from "./keep/visibility.js";
import { balanceBands, splitBands } from "./bands/split.js";
import type { EngineName } from "./engines/registry.js";
import { readOutlineContained } from "./engines/pdfjs/outline.js";
import { surveyDocument } from "./survey/survey.js";

/**
 * One page of the output, in output order: its tasks to render (one, or one per band, top to
 * bottom: see bands/), or a failure known before rendering.
 */
export type PlannedPage =
  | { pageNumber: number; layout: PageLayout; tasks: PageTask[] }
  | { pageNumber: number; layout: PageLayout; error: string };

export interface Plan {
  /** Page count of the input. */
  pageCount: number;
  pages: PlannedPage[];
  /** The engine the tasks name: `options.engine`, or the fallback engine when only that one can open the document. */
  engine: EngineName;
  /** The input's bookmarks, with `keepOutline`. */
  outline?: SourceOutlineItem[];
  /** The input's document information, with `keepMetadata`. */
  info?: SourceInfo;
  /** One more than the last task id the plan used (the next document's first). */
  nextTaskId: number;
}

/** Sheet used for a blank stand-in when a page's own size cannot be read. */
const FALLBACK_SHEET = { width: 612, height: 792 };

/** A first task id, or a function reserving `count` consecutive ids and returning the first. */
export type TaskIds = number | ((count: number) => number);

export interface PlanSettings {
  /** Where the workers write page images. */
  tempDir: string;
  /**
   * Id of the document's first task (task ids are unique across a batch), or, for documents planned
   * at the same time (the service), a function that reserves `count` ids once the tasks are counted
   * (a banded page has a task per band) and returns the first. @default 0
   */
  firstTaskId?: TaskIds;
  /** Image output: each task renders the whole sheet (margins and uncovered paper in the background colour). */
  images?: boolean;
  /** Called once the document is open and the pages are selected, before their geometry is read. */
  onOpen?: (engine: EngineName, selected: number) => void;
  /**
   * How many workers render the document's tasks at once: the banded pages' band count is rounded
   * up to a multiple of it, so that the workers finish together (bands/split.ts balanceBands).
   * @default 1 (bands as the budget gives them)
   */
  concurrency?: number;
  /** Stops the planning (Ctrl-C, the service's time limit): the planning thread is terminated at once. */
  signal?: AbortSignal;
}

/**
 * Opens the document (checking its password), reads every selected page's box and rotation, and lays
 * it out. The document is read in a thread of its own (src/survey/): nothing it contains runs on the
 * caller's main thread, which stays free for signals, other requests and the time limit.
 */
export async function planDocument(
  source: string,
  displayName: string,
  options: NormalizedOptions,
  { tempDir, firstTaskId = 0, images = false, onOpen, concurrency = 1, signal }: PlanSettings,
): Promise<Plan> {
  let selection: number[] = [];
  const survey = await surveyDocument(source, displayName, {
    password: options.password,
    engines: [options.engine, ...(options.fallbackEngine ? [options.fallbackEngine] : [])],
    box: options.box,
    info: options.keepMetadata,
    // The thread holds what a render process holds for the document: the same cap.
    heapMb: Math.round(options.maxWorkerMemoryBytes / 2 ** 20),
    signal,
    select: (engine, pageCount) => {
      if (pageCount < 1) throw new InputError(`${displayName} has no pages`);
      // Counted before listed: a service's page limit refuses `100000-1` written 1,500 times before 150 million entries exist.
      const ranges = options.pages ? parsePageSpec(options.pages, pageCount) : [[1, pageCount] as const];
      onOpen?.(engine, countPages(ranges));
      selection = expandPages(ranges, pageCount);
      return selection;
    },
  });
  const { engine, pageCount } = survey;
  // The engines that may draw a page: the plan's, and the fallback engine that takes its retries.
  const engines = [engine, ...(options.fallbackEngine && engine === options.engine ? [options.fallbackEngine] : [])];
  // First every page's layout and its task as a whole; then the band counts, which depend on all of them.
  const drafts: Array<{ pageNumber: number; layout: PageLayout; error?: string; task?: (id: number) => PageTask }> = [];
  let lastSize = FALLBACK_SHEET;
  // A band must fit every engine that may draw it (a retry may go to the fallback engine).
  const limit = Math.min(...engines.map((name) => RASTER_LIMITS[name].pixels));
  const budget = Math.min(options.bandPixels, limit);
  for (const pageNumber of selection) {
    const geometry = survey.pages.get(pageNumber)!;
    if ("error" in geometry) {
      const layout = layoutPage(lastSize.width, lastSize.height, options);
      drafts.push({ pageNumber, layout, error: geometry.error });
      continue;
    }
    lastSize = { width: geometry.widthPt, height: geometry.heightPt };
    const layout = layoutPage(geometry.widthPt, geometry.heightPt, options, { x: geometry.boxX, y: geometry.boxY });
    const pixels = layout.pixelWidth * layout.pixelHeight;
    if (pixels > options.maxPixels) {
      const error = `raster of ${layout.pixelWidth}x${layout.pixelHeight} = ${pixels} pixels exceeds --max-pixels ${options.maxPixels}`;
      drafts.push({ pageNumber, layout, error });
      continue;
    }
    drafts.push({ pageNumber, layout, task: (id) => pageTask(id, source, pageNumber, layout, engine, options, tempDir, images) });
  }
  const natural = drafts.map((d) => (d.task ? splitBands(d.layout.pixelWidth, d.layout.pixelHeight, budget).length : 1));
  const counts = balanceBands(natural, concurrency);
  const pages: PlannedPage[] = [];
  const taskCount = drafts.reduce((sum, draft, i) => sum + (draft.task ? counts[i]! : 0), 0);
  let nextTaskId = typeof firstTaskId === "number" ? firstTaskId : firstTaskId(taskCount);
  for (const [i, { pageNumber, layout, error, task }] of drafts.entries()) {
    if (!task) {
      pages.push({ pageNumber, layout, error: error! });
      continue;
    }
    const banded = bandedTasks(task(nextTaskId), { budget, limit, images, firstId: nextTaskId, bands: counts[i]! });
    if ("error" in banded) {
      pages.push({ pageNumber, layout, error: banded.error });
      continue;
    }
    nextTaskId += banded.tasks.length;
    pages.push({ pageNumber, layout, tasks: banded.tasks });
  }
  const plan: Plan = { pageCount, pages, engine, nextTaskId, ...(survey.info ? { info: survey.info } : {}) };
  // Bookmarks come from pdf.js whichever engine draws, read in a thread of their own (a crafted outline can overflow pdf.js's stack).
  if (options.keepOutline) plan.outline = await readOutlineContained({ source, password: options.password }, displayName, signal);
  return plan;
}

/** The task that renders the whole page (the planner then cuts it into bands when it is over the budget). */
function pageTask(id: number, source: string, pageNumber: number, layout: PageLayout, engine: EngineName, options: NormalizedOptions, tempDir: string, images: boolean): PageTask {
  const stem = join(tempDir, `page-${String(id).padStart(6, "0")}`);
  const task: PageTask = {
    id,
    source,
    password: options.password,
    pageNumber,
    engine,
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
    maxImagePixels: options.maxPixels,
    outPath: `${stem}.${options.tiff && images ? "tif" : { jpeg: "jpg", png: "png", auto: "img" }[options.format]}`,
  };
  if (images) {
    task.pad = sheetPadding(layout, options.dpi);
    task.file = { tiff: options.tiff, dpi: options.dpi };
  } else {
    task.pdf = true;
  }
  if (options.keepText || options.keepLinks) {
    task.extract = { text: options.keepText, links: options.keepLinks, path: `${stem}.json` };
    // Visible text is judged on a sharper render of the page when its own is coarse (keep/visibility.ts).
    const check = options.keepText === "visible" ? textCheckScale(task, false) : undefined;
    if (check) task.extract.check = scaledPlacement(task, check);
  }
  return task;
}
