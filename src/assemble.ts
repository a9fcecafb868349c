import { readFile, rm } from "node:fs/promises";
import { describeError } from "./errors.js";
import type { Keeper } from "./keep/keeper.js";
import type { OnError } from "./options.js";
import type { PageLayout } from "./paper.js";
import { tiffToG4 } from "./codecs/ccitt/tiff.js";
import { jpegInfo, parsePngForPdf } from "./pdf/png.js";
import { PdfStreamWriter, type PageImage, type PageOverlay } from "./pdf/writer.js";
import type { PageResult } from "./pool/messages.js";

/** What became of one planned page. */
export type PageOutcome = { kind: "image"; results: PageResult[] } | { kind: "failed" };

/**
 * Appends pages to the streaming writer strictly in output order as their outcomes arrive in any
 * order, deleting each page image once it is written, so the temp directory only holds pages
 * waiting for an earlier one.
 */
export class OrderedAssembler {
  private readonly outcomes = new Map<number, PageOutcome>();
  private next = 0;
  private chain = Promise.resolve();
  private failure: unknown;
  /** Milliseconds spent reading page images and appending them. */
  assembleMs = 0;

  constructor(
    private readonly writer: PdfStreamWriter,
    private readonly layouts: readonly PageLayout[],
    private readonly onError: OnError,
    private readonly background: [number, number, number] | undefined,
    /** Called when a rendered page image turns out unusable; the page then counts as failed. */
    private readonly onBadImage: (index: number, reason: string) => void,
    /** Lays the kept text and links over each page and learns where pages land (keep options). */
    private readonly keeper?: Keeper,
    /** Called once when writing the output fails (e.g. disk full), so rendering can stop early. */
    private readonly onWriteError?: (error: unknown) => void,
  ) {}

  /** Records the outcome of the page at `index` (output order) and writes whatever is now in order. */
  accept(index: number, outcome: PageOutcome): void {
    this.outcomes.set(index, outcome);
    this.chain = this.chain.then(() => this.drain()).catch((error: unknown) => {
      if (this.failure === undefined) this.onWriteError?.(error);
      this.failure ??= error;
    });
  }

  /** Waits for pending writes; rethrows the first write error. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  get pagesWritten(): number {
    return this.writer.pageCount;
  }

  private async drain(): Promise<void> {
    if (this.failure) return;
    for (let outcome = this.outcomes.get(this.next); outcome; outcome = this.outcomes.get(this.next)) {
      this.outcomes.delete(this.next);
      const layout = this.layouts[this.next]!;
      this.next++;
      const started = performance.now();
      let image: PageImage[] | undefined;
      let overlay: PageOverlay | undefined;
      if (outcome.kind === "image") {
        // A banded page: every band's image (each is its own XObject, see PdfStreamWriter.addImagePage).
        try {
          image = [];
          for (const result of outcome.results) image.push(await loadImage(result));
          overlay = await this.keeper?.overlay(this.next - 1, outcome.results[0]!);
        } catch (error) {
          image = undefined;
          this.onBadImage(this.next - 1, describeError(error));
        }
        await Promise.all(outcome.results.map((result) => rm(result.path, { force: true })));
      }
      if (image) {
        await this.writer.addImagePage(layout.sheetWidth, layout.sheetHeight, image, layout.image, this.background, overlay);
        this.keeper?.placed(this.next - 1, this.writer.pageCount - 1);
      } else if (this.onError === "blank") {
        await this.writer.addBlankPage(layout.sheetWidth, layout.sheetHeight, this.background);
        this.keeper?.placed(this.next - 1, this.writer.pageCount - 1);
      }
      this.assembleMs += performance.now() - started;
    }
  }
}

/** Reads a worker's page image and checks it is what the worker said it wrote. */
async function loadImage(result: PageResult): Promise<PageImage> {
  const data = await readFile(result.path);
  if (data.length === 0 || data.length !== result.bytes) {
    throw new Error(`page image ${result.path} is ${data.length} bytes, expected ${result.bytes}`);
  }
  if (result.format === "png") return parsePngForPdf(data);
  if (result.format === "g4") return { kind: "g4", ...tiffToG4(data) };
  const info = jpegInfo(data);
  if (info.components === 4) throw new Error(`page image ${result.path} is CMYK`);
  return { kind: "jpeg", data, width: info.width, height: info.height, components: info.components };
}
