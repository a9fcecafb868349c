/**
 * The one file of a page in image and TIFF output: the worker's file, the page's bands joined
 * into one (bands/join.ts), or, for a failed page with `--on-error blank`, a blank sheet.
 */
import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PageOutcome } from "../assemble.js";
import { joinBands } from "../bands/join.js";
import { describeError, isDiskError } from "../errors.js";
import type { NormalizedOptions } from "../options.js";
import { sheetPadding, type PageLayout } from "../paper.js";
import type { PageResult } from "../pool/messages.js";
import { encodeBlank, type FileFormat } from "../worker/encode.js";

export interface PageFile {
  path: string;
  bytes: number;
  format: FileFormat;
}

export interface PageFileContext {
  opts: NormalizedOptions;
  /** Where joined and blank pages are written (the worker's files stay where they are). */
  dir: string;
  /** The format of a blank stand-in. */
  blankFormat: FileFormat;
  onBadImage: (index: number, reason: string) => void;
}

/** The page's file, or undefined when the page failed and is left out (`--on-error skip`, or `abort`: the run then fails). */
export async function pageFile(index: number, outcome: PageOutcome, layout: PageLayout, ctx: PageFileContext): Promise<PageFile | undefined> {
  if (outcome.kind !== "image") return blank(layout, ctx);
  const { results } = outcome;
  const bad = await badImage(results);
  if (bad) {
    await Promise.all(results.map((result) => rm(result.path, { force: true })));
    ctx.onBadImage(index, bad);
    return blank(layout, ctx);
  }
  if (results.length === 1) {
    const [result] = results as [PageResult & { format: FileFormat }]; // badImage refused G4, JBIG2 and layers (a PDF's codings)
    return { path: result.path, bytes: result.bytes, format: result.format };
  }
  try {
    const { top, bottom } = sheetPadding(layout, ctx.opts.dpi);
    const size = { width: results[0]!.width, height: results.reduce((sum, r) => sum + r.height, 0), top, bottom, background: ctx.opts.background };
    const file = { tiff: ctx.opts.tiff, dpi: ctx.opts.dpi };
    return await joinBands(results.map((r) => r.path), size, join(ctx.dir, `.bands-${index}`), ctx.opts, results[0]!.encoding, file);
  } catch (error) {
    if (isDiskError(error)) throw error;
    ctx.onBadImage(index, `cannot join its bands: ${describeError(error)}`);
    return blank(layout, ctx);
  } finally {
    await Promise.all(results.map((result) => rm(result.path, { force: true })));
  }
}

/** A blank sheet in the background colour in place of a failed page, with `--on-error blank`. */
async function blank(layout: PageLayout, ctx: PageFileContext): Promise<PageFile | undefined> {
  if (ctx.opts.onError !== "blank") return undefined;
  const k = ctx.opts.dpi / 72;
  const width = Math.max(1, Math.round(layout.sheetWidth * k));
  const height = Math.max(1, Math.round(layout.sheetHeight * k));
  const path = join(ctx.dir, `.blank-${randomBytes(4).toString("hex")}`);
  const bytes = await encodeBlank(width, height, ctx.opts.background, ctx.blankFormat, path, ctx.opts.dpi);
  return { path, bytes, format: ctx.blankFormat };
}

/** Why a worker's page (or band) images are unusable, or undefined when each has the size the worker reported. */
async function badImage(results: readonly PageResult[]): Promise<string | undefined> {
  for (const result of results) {
    if (result.format !== "jpeg" && result.format !== "png" && result.format !== "tiff") return `page image ${result.path} is ${result.format}, not an image file format`;
    const size = (await stat(result.path).catch(() => undefined))?.size ?? 0;
    if (size === 0 || size !== result.bytes) return `page image ${result.path} is ${size} bytes, expected ${result.bytes}`;
  }
  return undefined;
}
