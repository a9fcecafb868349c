import type { Bitmap } from "./bitmap.js";
import { genericRegionData } from "./generic-region.js";
import { pageInformation, type Segment, SegmentType, writeFile, writeSegments } from "./segments.js";

/**
 * Segment numbers of a page stream start here, above every number the globals stream can use, so the
 * two streams a decoder reads together never share a number whatever order the pages came in.
 */
export const PAGE_SEGMENT_BASE = 0x10000;

/** A page ready to write: its segments, in the order they go in the stream. */
export interface EncodedPage {
  readonly segments: readonly Segment[];
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
  };
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
