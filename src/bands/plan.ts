/**
 * The planner's side of banded rendering: turns one page's task into its band tasks when its raster
 * is over the band budget. Pure.
 */
import { dirname, join } from "node:path";
import type { PageTask, RasterPlacement } from "../pool/messages.js";
import { bandRequest, splitBands } from "./split.js";
import { textCheckScale } from "../keep/visibility.js";

/**
 * `--format auto` on a banded page: the encoding is chosen from the whole page rendered at most
 * this large (4 M pixels, a Letter page at 200 DPI: the classifier's thresholds were measured at
 * 150-300 DPI, and it samples at most 1,100 rows anyway). Every band has the same probe, so all
 * bands choose alike; a worker renders it once per page (worker/entry.ts keeps the choice).
 */
export const PROBE_PIXELS = 2 ** 22;

export interface BandSettings {
  /** Pixels per band at most (the tuning knob, already capped by `limit`). */
  budget: number;
  /** The largest raster every engine that may draw a band can (RASTER_LIMITS). */
  limit: number;
  /** Image output: the master joins the bands, so they are written losslessly. */
  images: boolean;
  /** Id of the first band's task; the others follow. */
  firstId: number;
  /** Bands wanted for a page over the budget (bands/split.ts balanceBands): at least the budget's. @default the budget's */
  bands?: number;
}

/** The page's task as is when it is within the budget, else one task per band (top to bottom); or why it cannot be drawn. */
export function bandedTasks(task: PageTask, settings: BandSettings): { tasks: PageTask[] } | { error: string } {
  const { budget, limit, images, firstId } = settings;
  const bands = splitBands(task.width, task.height, budget, settings.bands);
  const rows = bands[0]!.height;
  if (task.width * rows > limit) {
    return { error: `a raster ${task.width} pixels wide is wider than the renderer can draw in bands of ${rows} rows (${limit} pixels): lower --dpi` };
  }
  if (bands.length === 1) return { tasks: [task] };
  const pad = task.pad;
  const probe = task.format === "auto" && task.color !== "mono" ? probeOf(task) : undefined;
  const extension = task.outPath.slice(task.outPath.lastIndexOf("."));
  return {
    tasks: bands.map((band): PageTask => {
      const id = firstId + band.index;
      const bandTask: PageTask = {
        ...bandRequest(task, band),
        id,
        outPath: join(dirname(task.outPath), `page-${String(id).padStart(6, "0")}${extension}`),
        band: { index: band.index, count: band.count, top: band.top, joined: images },
      };
      // Image output: each band is padded to the sheet's width; the master adds the top and bottom
      // margins when it joins them (bands/join.ts), so that all bands but the last are the same height.
      if (pad) bandTask.pad = { ...pad, top: 0, bottom: 0 };
      // The keep options' text and links belong to the page: the first band extracts them.
      if (band.index > 0) delete bandTask.extract;
      // Its text is judged on the whole page, since its own pixels show only its rows.
      else if (task.extract?.text === "visible") bandTask.extract = { ...task.extract, check: scaledPlacement(task, textCheckScale(task, true)!) };
      if (probe) bandTask.probe = probe;
      return bandTask;
    }),
  };
}

/** The whole page scaled down to at most {@link PROBE_PIXELS}, through the same placement. */
export function probeOf(task: PageTask): RasterPlacement {
  return scaledPlacement(task, Math.min(1, Math.sqrt(PROBE_PIXELS / (task.width * task.height))));
}

/** The task's raster scaled by `s`, through the same placement. */
export function scaledPlacement(task: RasterPlacement, s: number): RasterPlacement {
  const width = Math.max(1, Math.round(task.width * s));
  const height = Math.max(1, Math.round(task.height * s));
  const kx = width / task.width;
  const ky = height / task.height;
  return { width, height, scaleX: task.scaleX * kx, scaleY: task.scaleY * ky, offsetX: task.offsetX * kx, offsetY: task.offsetY * ky };
}
