import { UsageError } from "./errors.js";

/** A run of pages `from` to `to` (1-based, inclusive; backwards when from > to). */
export type PageRange = readonly [from: number, to: number];

/**
 * Most pages any selection may list, repeats included, beyond the document's own page count: a
 * selection is expanded into one entry per page, and `100000-1` written 1,500 times is 150 million.
 */
export const MAX_SELECTED_PAGES = 1_000_000;

/**
 * Parses a page selection such as `1-3,7,10-`, `last`, `5-1` into ranges, checked against the
 * document but not expanded (so that its size can be checked first: see countPages).
 * Order and repeats are kept as written (like qpdf's --pages): `3,1,1` gives pages 3, 1 and 1.
 * A range may run backwards (`5-1`); `N-` runs to the last page and `-N` starts at page 1.
 */
export function parsePageSpec(spec: string, pageCount: number): PageRange[] {
  return spec.split(",").map((raw) => {
    const part = raw.trim();
    const match = /^(\d+|last)?\s*(-)?\s*(\d+|last)?$/i.exec(part);
    if (!part || !match || (!match[1] && !match[3])) {
      throw new UsageError(`Expected \`pages\` like 1-3,7,10- or last, got \`${spec.length > 200 ? `${spec.slice(0, 200)}...` : spec}\``);
    }
    const from = toPage(match[1] ?? "1", spec, pageCount);
    return [from, match[2] ? toPage(match[3] ?? "last", spec, pageCount) : from] as const;
  });
}

/** How many pages the ranges list, without listing them. */
export function countPages(ranges: readonly PageRange[]): number {
  return ranges.reduce((sum, [from, to]) => sum + Math.abs(to - from) + 1, 0);
}

/** The page numbers of the ranges, in order; refused (before any is listed) beyond MAX_SELECTED_PAGES or the document's page count. */
export function expandPages(ranges: readonly PageRange[], pageCount: number): number[] {
  const count = countPages(ranges);
  const most = Math.max(pageCount, MAX_SELECTED_PAGES);
  if (count > most) throw new UsageError(`\`pages\` selects ${count} pages: at most ${most} (repeats included)`);
  const pages: number[] = [];
  for (const [from, to] of ranges) {
    const step = from <= to ? 1 : -1;
    for (let page = from; page !== to + step; page += step) pages.push(page);
  }
  return pages;
}

/** parsePageSpec, then expandPages. */
export function parsePageRanges(spec: string, pageCount: number): number[] {
  return expandPages(parsePageSpec(spec, pageCount), pageCount);
}

function toPage(token: string, spec: string, pageCount: number): number {
  const page = token.toLowerCase() === "last" ? pageCount : Number(token);
  if (page < 1 || page > pageCount) {
    throw new UsageError(
      `Page ${page} in \`pages\` \`${spec.length > 200 ? `${spec.slice(0, 200)}...` : spec}\` is out of range: the document has ${pageCount} page${pageCount === 1 ? "" : "s"}`,
    );
  }
  return page;
}
