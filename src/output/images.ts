import { randomBytes } from "node:crypto";
import { copyFile, lstat, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { PageOutcome } from "../assemble.js";
import { joinBands } from "../bands/join.js";
import { describeError, isDiskError, OutputError } from "../errors.js";
import type { PageResult } from "../pool/messages.js";
import type { NormalizedOptions } from "../options.js";
import { sheetPadding, type PageLayout } from "../paper.js";
import { encodeBlank } from "../worker/encode.js";
import type { Committed, PageSink } from "./sink.js";
import { imageFileName, type NamePattern } from "./target.js";

export interface ImagePage {
  pageNumber: number;
  layout: PageLayout;
}

/**
 * One image file per page. Pages are moved, as they arrive, into a hidden staging folder beside
 * the targets (same file system, so the final moves are renames); commit() renames them into
 * place, abort() removes the staging folder: an aborted or failed run leaves no page file behind.
 */
export class ImageSink implements PageSink {
  private chain = Promise.resolve();
  private failure: unknown;
  private readonly staged = new Map<string, number>();
  assembleMs = 0;

  private constructor(
    private readonly dir: string,
    private readonly staging: string,
    private readonly display: string,
    private readonly pages: readonly ImagePage[],
    private readonly pageCount: number,
    private readonly name: { pattern: NamePattern | undefined; stem: string },
    private readonly opts: NormalizedOptions,
    private readonly onBadImage: (index: number, reason: string) => void,
  ) {}

  /** Checks that `dir` (or, when it does not exist yet, its parent) is a writable folder and creates the staging folder there. */
  static async create(
    target: { dir: string; pattern: NamePattern | undefined; display: string },
    stem: string,
    pages: readonly ImagePage[],
    pageCount: number,
    opts: NormalizedOptions,
    onBadImage: (index: number, reason: string) => void,
  ): Promise<ImageSink> {
    const exists = (await stat(target.dir).catch(() => undefined))?.isDirectory() === true;
    const home = exists ? target.dir : dirname(target.dir);
    const staging = join(home, `.${exists ? "" : `${basename(target.dir)}.`}pdfraster-${randomBytes(4).toString("hex")}.tmp`);
    try {
      await mkdir(staging);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? `${home} does not exist` : describeError(error);
      throw new OutputError(`Cannot write images to ${target.display}: ${why}`, { cause: error });
    }
    return new ImageSink(target.dir, staging, target.display, pages, pageCount, { pattern: target.pattern, stem }, opts, onBadImage);
  }

  accept(index: number, outcome: PageOutcome): void {
    this.chain = this.chain
      .then(() => this.stage(index, outcome))
      .catch((error: unknown) => {
        this.failure ??= error;
      });
  }

  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  get pagesWritten(): number {
    return this.staged.size;
  }

  /**
   * All or nothing: every target is checked before the first rename (a folder, or anything but a
   * file, in the way of `p-3.png` fails the run with its name, and no page is moved), and should a
   * rename still fail the pages already moved to new names go back to staging, which abort() removes.
   */
  async commit(): Promise<Committed> {
    await this.flush();
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw new OutputError(`Cannot write images to ${this.display}: ${describeError(error)}`, { cause: error });
    }
    const fresh = new Set<string>();
    for (const name of this.staged.keys()) {
      const there = await lstat(join(this.dir, name)).catch(() => undefined);
      if (!there) fresh.add(name);
      else if (!there.isFile()) throw new OutputError(`Cannot write ${join(this.dir, name)}: a ${there.isDirectory() ? "folder" : "non-file"} is in the way (nothing was written)`);
    }
    let bytes = 0;
    const moved: string[] = [];
    for (const [name, size] of this.staged) {
      try {
        await rename(join(this.staging, name), join(this.dir, name));
      } catch (error) {
        const back = moved.filter((m) => fresh.has(m));
        await Promise.all(back.map((m) => rename(join(this.dir, m), join(this.staging, m)).catch(() => {})));
        throw new OutputError(`Cannot write ${join(this.dir, name)}: ${describeError(error)}`, { cause: error });
      }
      moved.push(name);
      bytes += size;
    }
    await rm(this.staging, { recursive: true, force: true });
    return { output: this.display, bytes };
  }

  async abort(): Promise<void> {
    await this.chain;
    await rm(this.staging, { recursive: true, force: true }).catch(() => {});
  }

  /** Names in the staging folder (for tests and diagnostics). */
  async stagedFiles(): Promise<string[]> {
    return readdir(this.staging).catch(() => []);
  }

  private async stage(index: number, outcome: PageOutcome): Promise<void> {
    if (this.failure) return;
    const started = performance.now();
    const page = this.pages[index]!;
    if (outcome.kind === "image") {
      const { results } = outcome;
      const bad = await badImage(results);
      if (bad) {
        await Promise.all(results.map((result) => rm(result.path, { force: true })));
        this.onBadImage(index, bad);
        await this.blank(page, this.opts.onError);
      } else if (results.length === 1) {
        const [result] = results as [PageResult & { format: "jpeg" | "png" }]; // badImage rejects the rest
        const name = this.fileName(page.pageNumber, result.format);
        await moveFile(result.path, join(this.staging, name));
        this.staged.set(name, result.bytes);
      } else {
        await this.join(index, page, results);
      }
    } else {
      await this.blank(page, this.opts.onError);
    }
    this.assembleMs += performance.now() - started;
  }

  /** A banded page: its bands joined into one file in the staging folder (bands/join.ts). */
  private async join(index: number, page: ImagePage, results: PageResult[]): Promise<void> {
    let joined;
    try {
      const { top, bottom } = sheetPadding(page.layout, this.opts.dpi);
      const size = { width: results[0]!.width, height: results.reduce((sum, r) => sum + r.height, 0), top, bottom, background: this.opts.background };
      joined = await joinBands(results.map((r) => r.path), size, join(this.staging, `.bands-${index}`), this.opts, results[0]!.encoding);
    } catch (error) {
      if (isDiskError(error)) throw error;
      this.onBadImage(index, `cannot join its bands: ${describeError(error)}`);
      await this.blank(page, this.opts.onError);
      return;
    } finally {
      await Promise.all(results.map((result) => rm(result.path, { force: true })));
    }
    const name = this.fileName(page.pageNumber, joined.format);
    await rename(joined.path, join(this.staging, name));
    this.staged.set(name, joined.bytes);
  }

  /** A blank sheet in the background colour in place of a failed page, with `--on-error blank`. */
  private async blank(page: ImagePage, onError: NormalizedOptions["onError"]): Promise<void> {
    if (onError !== "blank") return;
    const format = this.name.pattern?.format ?? (this.opts.format === "jpeg" && this.opts.color !== "mono" ? "jpeg" : "png");
    const name = this.fileName(page.pageNumber, format);
    const k = this.opts.dpi / 72;
    const width = Math.max(1, Math.round(page.layout.sheetWidth * k));
    const height = Math.max(1, Math.round(page.layout.sheetHeight * k));
    this.staged.set(name, await encodeBlank(width, height, this.opts.background, format, join(this.staging, name)));
  }

  private fileName(pageNumber: number, format: "jpeg" | "png"): string {
    return imageFileName(this.name.pattern, this.name.stem, pageNumber, this.pageCount, format);
  }
}

/** Why a worker's page (or band) images are unusable, or undefined when each has the size the worker reported. */
async function badImage(results: readonly PageResult[]): Promise<string | undefined> {
  for (const result of results) {
    if (result.format !== "jpeg" && result.format !== "png") return `page image ${result.path} is ${result.format}, not an image file format`;
    const size = (await stat(result.path).catch(() => undefined))?.size ?? 0;
    if (size === 0 || size !== result.bytes) return `page image ${result.path} is ${size} bytes, expected ${result.bytes}`;
  }
  return undefined;
}

/** Renames, or copies and deletes when the temp dir is on another file system. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}
