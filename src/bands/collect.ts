/**
 * A document's pages as their band results arrive, in any order, from any worker: a page is
 * complete when all its bands are, and gone once one of its bands has failed for good (the band
 * images that still come for it are deleted). A page that is not banded is a page of one band.
 */
import { rm } from "node:fs/promises";
import type { PageResult } from "../pool/messages.js";

interface Pending {
  results: Array<PageResult | undefined>;
  missing: number;
  failed: boolean;
}

export class BandCollector {
  private readonly pages = new Map<number, Pending>();

  /** `bandCounts`: page index → how many tasks (bands) it has. */
  constructor(bandCounts: Iterable<[number, number]>) {
    for (const [index, count] of bandCounts) this.pages.set(index, { results: new Array<PageResult | undefined>(count).fill(undefined), missing: count, failed: false });
  }

  /**
   * Records band `band` of the page at `index`; returns every band's result, top to bottom, once
   * the last one is in. A band of a page that has failed is deleted and ignored.
   */
  add(index: number, band: number, result: PageResult): PageResult[] | undefined {
    const page = this.pages.get(index)!;
    if (page.failed) {
      void discard([result]);
      return undefined;
    }
    if (page.results[band] === undefined) page.missing--;
    page.results[band] = result;
    return page.missing === 0 ? (page.results as PageResult[]) : undefined;
  }

  /** Whether the page at `index` has already failed (its other bands are not to be reported again). */
  hasFailed(index: number): boolean {
    return this.pages.get(index)!.failed;
  }

  /**
   * Marks the page failed and deletes the band images it had collected, and `unusable` (a band
   * image that is not used); false when it had failed already.
   */
  fail(index: number, unusable?: PageResult): boolean {
    const page = this.pages.get(index)!;
    const results = page.results.filter((r): r is PageResult => r !== undefined);
    void discard(unusable ? [...results, unusable] : results);
    page.results.fill(undefined);
    if (page.failed) return false;
    page.failed = true;
    return true;
  }
}

/** Deletes band images (and sidecars) nobody will assemble; the run's temp dir is removed at the end anyway. */
async function discard(results: PageResult[]): Promise<void> {
  await Promise.all(results.flatMap((r) => [r.path, ...(r.extractPath ? [r.extractPath] : [])]).map((path) => rm(path, { force: true }).catch(() => {}))); // the temp dir goes at the end
}
