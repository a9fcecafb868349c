import type { Bitmap } from "./bitmap.js";
import { genericRegionData } from "./generic-region.js";
import { PAGE_SEGMENT_BASE } from "./page-numbers.js";
import { pageInformation, type Segment, SegmentType, writeFile, writeSegments } from "./segments.js";
import { dictionaryOrder, symbolDictionaryData } from "./symbol-dictionary.js";
import type { PageSymbols } from "./symbols.js";
import { textRegionData, type SymbolInstance } from "./text-region.js";

/**
 * Which dictionaries a page's text region refers to, and each of the page's classes' symbol id in
 * them. Ids number the exported symbols of the referred dictionaries, concatenated in segment order.
 */
export interface PageAssignment {
  /** Global dictionary segments the page refers to, ascending, with their symbol counts. */
  readonly referred: readonly { readonly segment: number; readonly size: number }[];
  /** Per class of the page: its id among the referred globals' symbols, or -1 for a class coded in the page's own dictionary. */
  readonly ids: Int32Array;
}

/** A page ready to write: its segments, in the order they go in the stream. */
export interface EncodedPage {
  readonly segments: readonly Segment[];
  /** True when the page refers to the globals stream (its image needs `/DecodeParms << /JBIG2Globals ... >>`). */
  readonly usesGlobals: boolean;
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
  };
}

/**
 * A page coded from its symbols: the classes the assignment maps to globals are referred to there,
 * the others go to the page's own symbol dictionary; a text region places every instance and the
 * residual generic region adds the rest. Without an assignment, every class is the page's own.
 */
export function encodePage(page: PageSymbols, assignment?: PageAssignment, resolution = 0): EncodedPage {
  const segments: Segment[] = [pageInfoSegment(page.width, page.height, resolution)];
  const ids = assignment ? assignment.ids : new Int32Array(page.classes.length).fill(-1);
  const referred = assignment ? assignment.referred : [];
  const globalCount = referred.reduce((sum, chunk) => sum + chunk.size, 0);
  const local = page.classes.flatMap((_, k) => (ids[k]! < 0 ? [k] : []));
  const symbolIds = Int32Array.from(ids);
  const dictionaries = referred.map((chunk) => chunk.segment);
  if (local.length > 0) {
    const order = dictionaryOrder(local.map((k) => page.classes[k]!.bitmap));
    order.forEach((i, index) => (symbolIds[local[i]!] = globalCount + index));
    const number = PAGE_SEGMENT_BASE + 1;
    segments.push({
      number,
      type: SegmentType.symbolDictionary,
      page: 1,
      referredTo: [],
      data: symbolDictionaryData(order.map((i) => page.classes[local[i]!]!.bitmap)),
    });
    dictionaries.push(number);
  }
  const instances: SymbolInstance[] = [];
  page.classes.forEach((symbolClass, k) => {
    const { width, height } = symbolClass.bitmap;
    for (let p = 0; p < symbolClass.positions.length; p += 2) {
      instances.push({ x: symbolClass.positions[p]!, y: symbolClass.positions[p + 1]!, id: symbolIds[k]!, width, height });
    }
  });
  if (instances.length > 0) {
    segments.push({
      number: PAGE_SEGMENT_BASE + 2,
      type: SegmentType.immediateLosslessTextRegion,
      page: 1,
      referredTo: dictionaries,
      data: textRegionData(page.width, page.height, instances, globalCount + local.length),
    });
  }
  if (page.residual) {
    segments.push({
      number: PAGE_SEGMENT_BASE + 3,
      type: SegmentType.immediateLosslessGenericRegion,
      page: 1,
      referredTo: [],
      data: page.residual,
    });
  }
  return { segments, usesGlobals: referred.length > 0 };
}

export function pageInfoSegment(width: number, height: number, resolution: number): Segment {
  return {
    number: PAGE_SEGMENT_BASE,
    type: SegmentType.pageInformation,
    page: 1,
    referredTo: [],
    data: pageInformation(width, height, resolution),
  };
}
