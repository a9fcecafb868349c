import { UsageError } from "./errors.js";

/**
 * Parses a page selection such as `1-3,7,10-`, `last`, `5-1` into 1-based page numbers.
 * Order and repeats are kept as written (like qpdf's --pages): `3,1,1` gives pages 3, 1 and 1.
 * A range may run backwards (`5-1`); `N-` runs to the last page and `-N` starts at page 1.
 */
export function parsePageRanges(spec: string, pageCount: number): number[] {
  const pages: number[] = [];
  const parts = spec.split(",").map((part) => part.trim());
  for (const part of parts) {
    const match = /^(\d+|last)?\s*(-)?\s*(\d+|last)?$/i.exec(part);
    if (!part || !match || (!match[1] && !match[3])) {
      throw new UsageError(`Expected \`pages\` like 1-3,7,10- or last, got \`${spec}\``);
    }
    const from = toPage(match[1] ?? "1", spec, pageCount);
    const to = match[2] ? toPage(match[3] ?? "last", spec, pageCount) : from;
    const step = from <= to ? 1 : -1;
    for (let page = from; page !== to + step; page += step) pages.push(page);
  }
  return pages;
}

function toPage(token: string, spec: string, pageCount: number): number {
  const page = token.toLowerCase() === "last" ? pageCount : Number(token);
  if (page < 1 || page > pageCount) {
    throw new UsageError(
      `Page ${page} in \`pages\` \`${spec}\` is out of range: the document has ${pageCount} page${pageCount === 1 ? "" : "s"}`,
    );
  }
  return page;
}
