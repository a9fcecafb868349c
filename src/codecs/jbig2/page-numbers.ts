/**
 * Segment numbers of a page stream start here, above every number the globals stream can use (one
 * per chunk, fewer than this), so the two streams a decoder reads together never share a number,
 * whatever order the pages came in.
 */
export const PAGE_SEGMENT_BASE = 0x10000;
