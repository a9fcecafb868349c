import { readFile, rm } from "node:fs/promises";
import { describeError } from "./errors.js";
import type { Keeper } from "./keep/keeper.js";
import type { OnError } from "./options.js";
import type { PageLayout } from "./paper.js";
import { tiffToG4 } from "./codecs/ccitt/tiff.js";
import { deserializePageSymbols, embeddedStream, encodePage, SymbolTable, type PageSymbols } from "./codecs/jbig2/index.js";
import { deserializeLayeredSymbols, type LayeredSymbols } from "./codecs/layers/file.js";
import { deserializeMixedPage } from "./codecs/mixed/file.js";
import { jpegInfo, parsePngForPdf } from "./pdf/png.js";
import { PdfStreamWriter, type PageImage, type PageOverlay, type PhotoLayer } from "./pdf/writer.js";
import type { PageResult } from "./pool/messages.js";

/** What became of one planned page. */
export type PageOutcome = { kind: "image"; results: PageResult[] } | { kind: "failed" };

/** A page image file as read and checked; JBIG2 symbols (of a page or its layers) are coded when the page is written (in page order). */
type LoadedImage = PageImage | { kind: "symbols"; symbols: PageSymbols } | { kind: "layered"; page: LayeredSymbols; photos?: PhotoLayer[] };

/**
 * Appends pages to the streaming writer strictly in output order as their outcomes arrive in any
 * order, deleting each page image once it is written, so the temp directory only holds pages
 * waiting for an earlier one. JBIG2 pages are coded here against the document's one symbol
 * dictionary (codecs/jbig2 SymbolTable, bounded by its cap), admitted in page order so that the
 * bytes are the same on every run, locally and in cluster mode.
 */
export class OrderedAssembler {
  private readonly outcomes = new Map<number, PageOutcome>();
  private next = 0;
  private chain = Promise.resolve();
  private failure: unknown;
  private symbols: SymbolTable | undefined;
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

  /** The `/JBIG2Globals` stream: every symbol the JBIG2 pages written so far share. */
  jbig2Globals(): Uint8Array {
    return this.symbols?.globalsStream() ?? new Uint8Array(0);
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
          const loaded: LoadedImage[] = [];
          for (const result of outcome.results) loaded.push(await loadImage(result));
          overlay = await this.keeper?.overlay(this.next - 1, outcome.results[0]!);
          // Only once every band is read and checked: a page that fails adds nothing to the dictionary.
          image = loaded.map((band) => this.code(band));
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

  /** A page image ready to write: JBIG2 symbols admitted to the document's dictionary and coded against it. */
  private code(image: LoadedImage): PageImage {
    if (image.kind === "symbols") return { kind: "jbig2", ...this.codeSymbols(image.symbols) };
    if (image.kind !== "layered") return image;
    const { width, height, background, layers } = image.page;
    const coded = layers.map(({ colour, x, y, symbols }) => ({ colour, x, y, ...this.codeSymbols(symbols) }));
    return { kind: "layers", width, height, background, layers: coded, ...(image.photos ? { photos: image.photos } : {}) };
  }

  private codeSymbols(symbols: PageSymbols): { data: Uint8Array; width: number; height: number; globals: boolean } {
    this.symbols ??= new SymbolTable();
    const page = encodePage(symbols, this.symbols.admit(symbols));
    return { data: embeddedStream(page), width: symbols.width, height: symbols.height, globals: page.usesGlobals };
  }
}

/**
 * Reads a worker's page image and checks it is what the worker said it wrote. A worker's file is
 * untrusted: a damaged one throws (the page fails), never crashes the master.
 */
async function loadImage(result: PageResult): Promise<LoadedImage> {
  const data = await readFile(result.path);
  if (data.length === 0 || data.length !== result.bytes) {
    throw new Error(`page image ${result.path} is ${data.length} bytes, expected ${result.bytes}`);
  }
  if (result.format === "jbig2") {
    const symbols = deserializePageSymbols(data);
    if (symbols.width !== result.width || symbols.height !== result.height) {
      throw new Error(`page symbols ${result.path} are ${symbols.width}x${symbols.height}, expected ${result.width}x${result.height}`);
    }
    return { kind: "symbols", symbols };
  }
  if (result.format === "layers") {
    const page = deserializeLayeredSymbols(data);
    if (page.width !== result.width || page.height !== result.height) {
      throw new Error(`page layers ${result.path} are ${page.width}x${page.height}, expected ${result.width}x${result.height}`);
    }
    return { kind: "layered", page };
  }
  if (result.format === "mixed") {
    const { layered, photos } = deserializeMixedPage(data);
    if (layered.width !== result.width || layered.height !== result.height) {
      throw new Error(`mixed page ${result.path} is ${layered.width}x${layered.height}, expected ${result.width}x${result.height}`);
    }
    return { kind: "layered", page: layered, photos: photos.map(({ jpeg, ...rect }) => ({ ...rect, image: { kind: "jpeg", ...checkedJpeg(jpeg, result.path) } })) };
  }
  if (result.format === "png") return parsePngForPdf(data);
  if (result.format === "g4") return { kind: "g4", ...tiffToG4(data) };
  return { kind: "jpeg", ...checkedJpeg(data, result.path) };
}

/** A JPEG's header read and checked (gray or RGB: the writer embeds it as DeviceGray or DeviceRGB). */
function checkedJpeg(data: Uint8Array, path: string): { data: Uint8Array; width: number; height: number; components: 1 | 3 } {
  const info = jpegInfo(data);
  if (info.components === 4) throw new Error(`page image ${path} is CMYK`);
  return { data, width: info.width, height: info.height, components: info.components };
}
