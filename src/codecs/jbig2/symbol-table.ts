import { bitmapsEqual, type Bitmap } from "./bitmap.js";
import { PAGE_SEGMENT_BASE } from "./page-numbers.js";
import type { PageAssignment } from "./page.js";
import { type Segment, SegmentType, writeSegments } from "./segments.js";
import { dictionaryOrder, symbolDictionaryData } from "./symbol-dictionary.js";
import { hashBitmap, type PageSymbols } from "./symbols.js";

/** How much the document-wide dictionary may hold; past it, a page's new symbols go to its own dictionary. */
export interface SymbolTableLimits {
  /** Distinct symbols in the globals. @default 100_000 */
  maxSymbols: number;
  /** Memory held: the symbol bitmaps kept for exact comparison plus the coded dictionary segments. @default 64 MiB */
  maxBytes: number;
}

export const DEFAULT_TABLE_LIMITS: SymbolTableLimits = { maxSymbols: 100_000, maxBytes: 64 * 1024 * 1024 };

interface Chunk {
  readonly segment: number;
  readonly size: number;
  readonly data: Uint8Array;
}

/**
 * The document-wide symbol dictionary (`/JBIG2Globals`), kept by the assembler and only ever appended to.
 *
 * Each admitted page adds the distinct symbols it is the first to use as one new symbol dictionary
 * segment (a "chunk"), numbered in admission order, and refers to the chunks whose symbols it draws
 * (at most four per text region; a page that draws on more has several text regions).
 * A segment, once written, never changes: so a page's text region (whose symbol id width depends on
 * how many symbols it refers to) is final the moment the page is admitted, and the globals stream,
 * the concatenation of every chunk, can be written after the last page (a PDF object may be referred
 * to before it is written).
 */
export class SymbolTable {
  private readonly limits: SymbolTableLimits;
  private readonly byHash = new Map<number, number[]>();
  private readonly bitmaps: Bitmap[] = [];
  private readonly chunkOf: number[] = []; // per global symbol: its chunk
  private readonly indexInChunk: number[] = [];
  private readonly chunks: Chunk[] = [];
  private heldBytes = 0;

  constructor(limits: Partial<SymbolTableLimits> = {}) {
    this.limits = { ...DEFAULT_TABLE_LIMITS, ...limits };
  }

  /** Distinct symbols held. */
  get symbolCount(): number {
    return this.bitmaps.length;
  }

  /** Bytes held (bitmaps and coded chunks), bounded by `maxBytes`. */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Assigns the page's classes to global symbols, adding its new ones as one chunk if they fit within
   * the limits (all or none: a page never splits between globals and its own dictionary by accident
   * of order). Admit pages in page order for output that is the same on every run.
   */
  admit(page: PageSymbols): PageAssignment {
    const global = new Int32Array(page.classes.length).fill(-1);
    const fresh: number[] = [];
    page.classes.forEach((symbolClass, k) => {
      const found = this.find(symbolClass.bitmap);
      if (found >= 0) global[k] = found;
      else fresh.push(k);
    });
    const freshBitmaps = fresh.map((k) => page.classes[k]!.bitmap);
    const freshBytes = freshBitmaps.reduce((sum, b) => sum + b.data.length, 0);
    const fits =
      fresh.length > 0 &&
      this.chunks.length < PAGE_SEGMENT_BASE &&
      this.bitmaps.length + fresh.length <= this.limits.maxSymbols &&
      // The coded chunk is, for glyphs, well under the bitmaps' size; count it at that bound.
      this.heldBytes + 2 * freshBytes <= this.limits.maxBytes;
    if (fits) {
      const order = dictionaryOrder(freshBitmaps);
      const ordered = order.map((i) => freshBitmaps[i]!);
      const chunk: Chunk = { segment: this.chunks.length, size: ordered.length, data: symbolDictionaryData(ordered) };
      order.forEach((i, index) => {
        const k = fresh[i]!;
        global[k] = this.add(ordered[index]!, chunk.segment, index);
      });
      this.chunks.push(chunk);
      this.heldBytes += freshBytes + chunk.data.length;
    }
    return this.assignment(global);
  }

  /** The globals stream: every chunk, as symbol dictionary segments with no page association. */
  globalsStream(): Uint8Array {
    return writeSegments(this.chunks.map((chunk): Segment => ({
      number: chunk.segment,
      type: SegmentType.symbolDictionary,
      page: 0,
      referredTo: [],
      data: chunk.data,
    })));
  }

  private find(bitmap: Bitmap): number {
    const candidates = this.byHash.get(hashBitmap(bitmap));
    return candidates?.find((g) => bitmapsEqual(this.bitmaps[g]!, bitmap)) ?? -1;
  }

  private add(bitmap: Bitmap, chunk: number, index: number): number {
    const g = this.bitmaps.length;
    this.bitmaps.push(bitmap);
    this.chunkOf.push(chunk);
    this.indexInChunk.push(index);
    const hash = hashBitmap(bitmap);
    const bucket = this.byHash.get(hash);
    if (bucket) bucket.push(g);
    else this.byHash.set(hash, [g]);
    return g;
  }

  private assignment(global: Int32Array): PageAssignment {
    const chunk = global.map((g) => (g < 0 ? -1 : this.chunkOf[g]!));
    const index = global.map((g) => (g < 0 ? 0 : this.indexInChunk[g]!));
    const chunkSizes = new Map<number, number>();
    for (const c of chunk) if (c >= 0) chunkSizes.set(c, this.chunks[c]!.size);
    return { chunk, index, chunkSizes };
  }
}
