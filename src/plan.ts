import { join } from "node:path";
import { describeError, InputError, PasswordError, UsageError } from "./errors.js";
import type { SourceInfo, SourceOutlineItem } from "./keep/types.js";
import type { NormalizedOptions } from "./options.js";
import { countPages, expandPages, parsePageSpec } from "./pages.js";
import { layoutPage, sheetPadding, type PageLayout } from "./paper.js";
import type { PageTask } from "./pool/messages.js";
import { EngineError, EngineUnavailableError, type Engine } from "./engines/engine.js";
import { RASTER_LIMITS } from "./engines/limits.js";
import { bandedTasks, scaledPlacement } from "./bands/plan.js";
import { textCheckScale } from "./keep/visibility.js";
import { balanceBands, splitBands } from "./bands/split.js";
import type { PdfJsEngine } from "./engines/pdfjs/engine.js";
import { openEngine, type EngineName } from "./engines/registry.js";
import { readOutlineContained } from "./engines/pdfjs/outline.js";

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
  /** Stops the planning (Ctrl-C, the service's time limit), checked between pages. */
  signal?: AbortSignal;
}

/**
 * Planning reads each selected page's box through the engine, which pdf.js does in this thread
 * (its worker is in-process in Node) and, on a flat page tree of 100,000 pages, in time that grows
 * with the page number: the loop gives the event loop a turn at least this often, so that signals,
 * other requests and the time limit are served while a big document is planned.
 */
const PLAN_YIELD_MS = 50;

/** `work`, or the signal's reason as soon as it aborts: one slow page lookup must not hold up Ctrl-C (the engine is closed after, which ends it). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Opens the document (checking its password), reads every selected page's box and rotation, and lays it out. */
export async function planDocument(
  source: string,
  displayName: string,
  options: NormalizedOptions,
  { tempDir, firstTaskId = 0, images = false, onOpen, concurrency = 1, signal }: PlanSettings,
): Promise<Plan> {
  const engine = await openDocument(source, displayName, options);
  // The engines that may draw a page: the plan's, and the fallback engine that takes its retries.
  const engines = [engine.name, ...(options.fallbackEngine && engine.name === options.engine ? [options.fallbackEngine] : [])];
  try {
    const pageCount = engine.pageCount;
    if (pageCount < 1) throw new InputError(`${displayName} has no pages`);
    // Counted before listed: a service's page limit refuses `100000-1` written 1,500 times before 150 million entries exist.
    const ranges = options.pages ? parsePageSpec(options.pages, pageCount) : [[1, pageCount] as const];
    onOpen?.(engine.name, countPages(ranges));
    const selection = expandPages(ranges, pageCount);
    // First every page's layout and its task as a whole; then the band counts, which depend on all of them.
    const drafts: Array<{ pageNumber: number; layout: PageLayout; error?: string; task?: (id: number) => PageTask }> = [];
    let lastSize = FALLBACK_SHEET;
    // A band must fit every engine that may draw it (a retry may go to the fallback engine).
    const limit = Math.min(...engines.map((name) => RASTER_LIMITS[name].pixels));
    const budget = Math.min(options.bandPixels, limit);
    let turn = performance.now();
    for (const pageNumber of selection) {
      if (performance.now() - turn > PLAN_YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        turn = performance.now();
      }
      let geometry;
      try {
        geometry = await untilAborted(engine.geometry(pageNumber, options.box), signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const layout = layoutPage(lastSize.width, lastSize.height, options);
        drafts.push({ pageNumber, layout, error: `cannot read the page: ${describeError(error)}` });
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
      drafts.push({ pageNumber, layout, task: (id) => pageTask(id, source, pageNumber, layout, engine.name, options, tempDir, images) });
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
    const plan: Plan = { pageCount, pages, engine: engine.name, nextTaskId };
    // Bookmarks come from pdf.js whichever engine draws, read in a thread of their own (a crafted outline can overflow pdf.js's stack).
    if (options.keepOutline) plan.outline = await readOutlineContained({ source, password: options.password }, displayName);
    if (options.keepMetadata) {
      // Metadata too, here (a flat dictionary of strings).
      const pdfjs = engine.name === "pdfjs" ? engine : await openEngine("pdfjs", source, { password: options.password });
      try {
        plan.info = await (pdfjs as PdfJsEngine).info();
      } finally {
        if (pdfjs !== engine) await pdfjs.close();
      }
    }
    return plan;
  } finally {
    await engine.close();
  }
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

/** Opens the document with the engine, or with the fallback engine when the first cannot read it or finds no pages. */
async function openDocument(source: string, displayName: string, options: NormalizedOptions): Promise<Engine> {
  const engines = [options.engine, ...(options.fallbackEngine ? [options.fallbackEngine] : [])];
  let firstError: unknown;
  for (const [i, name] of engines.entries()) {
    try {
      const engine = await openEngine(name, source, { password: options.password });
      // A broken page tree can leave one engine with no pages where the other finds them.
      if (engine.pageCount > 0 || i === engines.length - 1) return engine;
      await engine.close();
      firstError ??= new Error(`the ${name} engine finds no pages`);
    } catch (error) {
      if (error instanceof EngineUnavailableError) throw new UsageError(error.message, { cause: error });
      if (error instanceof EngineError && error.kind === "password-required") {
        throw new PasswordError(`${displayName} is encrypted: give its password with --password`, { cause: error });
      }
      if (error instanceof EngineError && error.kind === "password-incorrect") {
        throw new PasswordError(`Wrong password for ${displayName}`, { cause: error });
      }
      firstError ??= error;
    }
  }
  throw new InputError(`${displayName} is not a readable PDF: ${describeError(firstError)}`, { cause: firstError });
}
