import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { PageOutcome } from "../assemble.js";
import { describeError, OutputError } from "../errors.js";
import type { NormalizedOptions } from "../options.js";
import type { PageLayout } from "../paper.js";
import type { FileFormat } from "../worker/encode.js";
import { pageFile } from "./page-file.js";
import { writeDensity } from "./density.js";
import type { Committed, PageSink } from "./sink.js";
import { imageFileName, type NamePattern } from "./target.js";
import { moveFile } from "../move-file.js";

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
        // Best-effort rollback of this run's new files: the failed rename below is the error to report.
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
    await rm(this.staging, { recursive: true, force: true }).catch(() => {}); // aborting after a failure, the one to report
  }

  /** Names in the staging folder (for tests and diagnostics). */
  async stagedFiles(): Promise<string[]> {
    return readdir(this.staging).catch(() => []);
  }

  private async stage(index: number, outcome: PageOutcome): Promise<void> {
    if (this.failure) return;
    const started = performance.now();
    const page = this.pages[index]!;
    const blankFormat = this.name.pattern?.format ?? (this.opts.tiff ? "tiff" : this.opts.format === "jpeg" && this.opts.color !== "mono" ? "jpeg" : "png");
    const file = await pageFile(index, outcome, page.layout, { opts: this.opts, dir: this.staging, blankFormat, onBadImage: this.onBadImage });
    if (file) {
      const name = this.fileName(page.pageNumber, file.format);
      await moveFile(file.path, join(this.staging, name));
      // The workers' PNG and JPEG files do not declare the sheet's resolution (density.ts); TIFF pages do.
      this.staged.set(name, await writeDensity(join(this.staging, name), this.opts.dpi));
    }
    this.assembleMs += performance.now() - started;
  }

  private fileName(pageNumber: number, format: FileFormat): string {
    return imageFileName(this.name.pattern, this.name.stem, pageNumber, this.pageCount, format);
  }
}

