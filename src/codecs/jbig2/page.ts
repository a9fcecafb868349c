import type { Bitmap } from "./bitmap.js";
import { genericRegionData } from "./generic-region.js";
import { PAGE_SEGMENT_BASE } from "./page-numbers.js";
import { pageInformation, type Segment, SegmentType, writeFile, writeSegments } from "./segments.js";
import { dictionaryOrder, symbolDictionaryData } from "./symbol-dictionary.js";
import type { PageSymbols } from "./symbols.js";
import { textRegionData, type SymbolInstance } from "./text-region.js";

/** Where the page's classes are in the globals: one symbol dictionary segment (a chunk) and an index in it per class. */
export interface PageAssignment {
  /** Per class of the page: the segment number of the global chunk holding its bitmap, or -1 when the page codes it itself. */
  readonly chunk: Int32Array;
  /** Per class: its index among that chunk's symbols. */
  readonly index: Int32Array;
  /** Symbol count of every chunk the page uses. */
  readonly chunkSizes: ReadonlyMap<number, number>;
}

/**
 * A text region refers to at most this many dictionaries: past four, the segment header needs the
 * long form of the referred-to count, which jbig2dec 0.20 misreads (it rounds the retention flag
 * bytes down). A page drawing on more dictionaries gets one text region per four.
 */
const DICTIONARIES_PER_REGION = 4;

/** A page ready to write: its segments, in the order they go in the stream. */
export interface EncodedPage {
  readonly segments: readonly Segment[];
  /** True when the page refers to the globals stream (its image needs `/DecodeParms << /JBIG2Globals ... >>`). */
  readonly usesGlobals: boolean;
  /** Symbols coded in the page's own dictionary (not in the globals). */
  readonly ownSymbols: number;
}

/** The bytes of a `/JBIG2Decode` image stream (the embedded form: no file header, no end-of-page). */
export function embeddedStream(page: EncodedPage): Uint8Array {
  return writeSegments(page.segments);
}

/**
 * The standalone `.jb2` file form of a page that uses no globals (what `jbig2dec file.jb2` reads). A page
 * that refers to globals is checked with `jbig2dec -e globals.jb2 page.jb2` on the embedded forms instead.
 */
export function fileForm(page: EncodedPage): Uint8Array {
  return writeFile(page.segments);
}

/** A page coded as one generic region: the fallback for any 1-bit image. */
export function encodeGenericPage(bitmap: Bitmap, resolution = 0): EncodedPage {
  return {
    segments: [
      pageInfoSegment(bitmap.width, bitmap.height, resolution),
      {
        number: PAGE_SEGMENT_BASE + 1,
        type: SegmentType.immediateLosslessGenericRegion,
        page: 1,
        referredTo: [],
        data: genericRegionData(bitmap, 0, 0),
      },
    ],
    usesGlobals: false,
    ownSymbols: 0,
  };
}

/**
 * A page coded from its symbols: the classes the assignment maps to global chunks are referred to
 * there, the others go to the page's own symbol dictionary; text regions place every instance and the
 * residual generic region adds the rest. Without an assignment, every class is the page's own.
 */
export function encodePage(page: PageSymbols, assignment?: PageAssignment, resolution = 0): EncodedPage {
  const segments: Segment[] = [pageInfoSegment(page.width, page.height, resolution)];
  const count = page.classes.length;
  const dictionaryOf = assignment ? Int32Array.from(assignment.chunk) : new Int32Array(count).fill(-1);
  const indexOf = assignment ? Int32Array.from(assignment.index) : new Int32Array(count);
  const sizes = new Map(assignment?.chunkSizes ?? []);
  const local = page.classes.flatMap((_, k) => (dictionaryOf[k]! < 0 ? [k] : []));
  if (local.length > 0) {
    const number = PAGE_SEGMENT_BASE + 1;
    const order = dictionaryOrder(local.map((k) => page.classes[k]!.bitmap));
    order.forEach((i, index) => {
      dictionaryOf[local[i]!] = number;
      indexOf[local[i]!] = index;
    });
    sizes.set(number, local.length);
    segments.push({
      number,
      type: SegmentType.symbolDictionary,
      page: 1,
      referredTo: [],
      data: symbolDictionaryData(order.map((i) => page.classes[local[i]!]!.bitmap)),
    });
  }
  // Dictionaries in segment order, cut into groups of at most four, one text region each.
  const dictionaries = [...sizes.keys()].sort((a, b) => a - b);
  let number = PAGE_SEGMENT_BASE + 2;
  for (let g = 0; g < dictionaries.length; g += DICTIONARIES_PER_REGION) {
    const group = dictionaries.slice(g, g + DICTIONARIES_PER_REGION);
    const offset = new Map<number, number>();
    let symbolCount = 0;
    for (const d of group) {
      offset.set(d, symbolCount);
      symbolCount += sizes.get(d)!;
    }
    const instances: SymbolInstance[] = [];
    page.classes.forEach((symbolClass, k) => {
      const base = offset.get(dictionaryOf[k]!);
      if (base === undefined) return;
      const { width, height } = symbolClass.bitmap;
      const id = base + indexOf[k]!;
      for (let p = 0; p < symbolClass.positions.length; p += 2) {
        instances.push({ x: symbolClass.positions[p]!, y: symbolClass.positions[p + 1]!, id, width, height });
      }
    });
    segments.push({
      number: number++,
      type: SegmentType.immediateLosslessTextRegion,
      page: 1,
      referredTo: group,
      data: textRegionData(page.width, page.height, instances, symbolCount),
    });
  }
  if (page.residual) {
    segments.push({ number, type: SegmentType.immediateLosslessGenericRegion, page: 1, referredTo: [], data: page.residual });
  }
  return { segments, usesGlobals: dictionaries.some((d) => d < PAGE_SEGMENT_BASE), ownSymbols: local.length };
}

function pageInfoSegment(width: number, height: number, resolution: number): Segment {
  return {
    number: PAGE_SEGMENT_BASE,
    type: SegmentType.pageInformation,
    page: 1,
    referredTo: [],
    data: pageInformation(width, height, resolution),
  };
}
