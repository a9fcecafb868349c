import { randomBytes } from "node:crypto";
import { readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { PageOutcome } from "../assemble.js";
import { describeError, OutputError } from "../errors.js";
import type { NormalizedOptions } from "../options.js";
import type { PageLayout } from "../paper.js";
import { readTiffPage, type TiffPage } from "../tiff/page.js";
import { TiffStreamWriter, TiffTooLargeError } from "../tiff/writer.js";
import { pageFile } from "./page-file.js";
import type { Committed, PageSink } from "./sink.js";

/**
 * One multi-page TIFF, a page per IFD in page order. Each page arrives from a worker as a
 * single-page TIFF (or its bands, joined here); pages are appended as soon as every earlier one is
 * in, so only pages waiting for an earlier one are held, on disk. Written to a temp name beside
 * the target, renamed into place on commit; abort() removes it.
 */
export class TiffSink implements PageSink {
  private readonly outcomes = new Map<number, PageOutcome>();
  private next = 0;
  private chain = Promise.resolve();
  private failure: unknown;
  assembleMs = 0;

  private constructor(
    private readonly writer: TiffStreamWriter,
    private readonly partial: string,
    private readonly path: string,
    private readonly tempDir: string,
    private readonly layouts: readonly PageLayout[],
    private readonly opts: NormalizedOptions,
    private readonly onBadImage: (index: number, reason: string) => void,
    private readonly onWriteError: ((error: unknown) => void) | undefined,
  ) {}

  static async create(
    path: string,
    /** The run's temp dir: joined bands and blank pages are written there. */
    tempDir: string,
    layouts: readonly PageLayout[],
    opts: NormalizedOptions,
    onBadImage: (index: number, reason: string) => void,
    /** Called once when writing fails (e.g. disk full), so rendering can stop early. */
    onWriteError?: (error: unknown) => void,
  ): Promise<TiffSink> {
    const partial = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.pdfraster-tmp`);
    let writer: TiffStreamWriter;
    try {
      writer = await TiffStreamWriter.create(partial);
    } catch (error) {
      throw new OutputError(`Cannot write ${path}: ${describeError(error)}`, { cause: error });
    }
    return new TiffSink(writer, partial, path, tempDir, layouts, opts, onBadImage, onWriteError);
  }

  accept(index: number, outcome: PageOutcome): void {
    this.outcomes.set(index, outcome);
    this.chain = this.chain
      .then(() => this.drain())
      .catch((error: unknown) => {
        if (this.failure === undefined) this.onWriteError?.(error);
        this.failure ??= error;
      });
  }

  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  get pagesWritten(): number {
    return this.writer.pageCount;
  }

  async commit(): Promise<Committed> {
    await this.flush();
    const bytes = await this.writer.close();
    await rename(this.partial, this.path);
    return { output: this.path, bytes };
  }

  async abort(): Promise<void> {
    await this.chain;
    await this.writer.abort();
    await rm(this.partial, { force: true }).catch(() => {}); // aborting after a failure, the one to report
  }

  private async drain(): Promise<void> {
    for (let outcome = this.outcomes.get(this.next); outcome && !this.failure; outcome = this.outcomes.get(this.next)) {
      const index = this.next++;
      this.outcomes.delete(index);
      const started = performance.now();
      const page = await this.page(index, outcome);
      if (page) {
        try {
          await this.writer.addPage(page);
        } catch (error) {
          if (error instanceof TiffTooLargeError) {
            throw new OutputError(`Cannot write ${this.path}: ${error.message}; write one TIFF per page (out/page-%03d.tif) or lower --dpi`, { cause: error });
          }
          throw error;
        }
      }
      this.assembleMs += performance.now() - started;
    }
  }

  /** The page's TIFF, read; one a worker wrote unreadable counts as a failed page (blank or left out, as `onError` says). */
  private async page(index: number, outcome: PageOutcome): Promise<TiffPage | undefined> {
    const ctx = { opts: this.opts, dir: this.tempDir, blankFormat: "tiff" as const, onBadImage: this.onBadImage };
    for (const attempt of [outcome, { kind: "failed" } as const]) {
      const file = await pageFile(index, attempt, this.layouts[index]!, ctx);
      if (!file) return undefined;
      try {
        return readTiffPage(await readFile(file.path));
      } catch (error) {
        if (attempt !== outcome) throw error; // our own blank page: a bug, not a bad page
        this.onBadImage(index, `page image is not a readable TIFF: ${describeError(error)}`);
      } finally {
        await rm(file.path, { force: true });
      }
    }
    return undefined;
  }
}
