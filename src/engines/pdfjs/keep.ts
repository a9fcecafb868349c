/**
 * Reads what the `keep*` options carry over, with pdf.js: each page's text runs and links (in the
 * worker, beside the render) and the document's outline and information (in the master). Every
 * position is converted to the page's displayed space with the pdf.js viewport, which applies
 * /Rotate and the CropBox origin.
 */
import { PDFDateString } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { PDFDocumentProxy, PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { PageExtract, SourceDest, SourceInfo, SourceLink, SourceOutlineItem, SourceTextRun } from "../../keep/types.js";
import { webLink } from "../../keep/web-link.js";
import { viewportRect } from "./viewport.js";
import { readRawOutline, type RawOutlineItem, type UriActionTest } from "./link-actions.js";

type Viewport = ReturnType<PDFPageProxy["getViewport"]>;
type Vec = [number, number];

/**
 * Bounds on one page's text, so that a page of a million runs costs neither process its memory: the
 * text is read as a stream and reading stops at either bound; the runs read so far are kept and the
 * page is marked truncated (a real page has a few thousand runs, a dense one ten or twenty thousand).
 */
export const MAX_TEXT_RUNS = 50_000;
export const MAX_TEXT_CHARS = 1_000_000;

/** Text runs and/or links of `page`. */
export async function extractPage(
  doc: PDFDocumentProxy,
  page: PDFPageProxy,
  what: { text: boolean; links: boolean },
  /** Whether an annotation has a URI action (link-actions.ts), asked only of links with a web URL. */
  uriActions: () => Promise<UriActionTest> = async () => () => false,
): Promise<PageExtract> {
  const viewport = page.getViewport({ scale: 1 });
  const extract: PageExtract = {};
  if (what.text) {
    const { runs, truncated } = await textRuns(page, viewport);
    extract.text = runs;
    if (truncated) extract.truncated = true;
  }
  if (what.links) extract.links = await links(doc, page, viewport, uriActions);
  return extract;
}

type TextContent = Awaited<ReturnType<PDFPageProxy["getTextContent"]>>;

async function textRuns(page: PDFPageProxy, viewport: Viewport): Promise<{ runs: SourceTextRun[]; truncated: boolean }> {
  const [va, vb, vc, vd, ve, vf] = viewport.transform as [number, number, number, number, number, number];
  const vector = ([x, y]: Vec): Vec => [va * x + vc * y, vb * x + vd * y];
  const point = ([x, y]: Vec): Vec => [va * x + vc * y + ve, vb * x + vd * y + vf];
  const runs: SourceTextRun[] = [];
  const styles: TextContent["styles"] = Object.create(null) as TextContent["styles"];
  let chars = 0;
  let truncated = false;
  const reader = page.streamTextContent().getReader() as ReadableStreamDefaultReader<TextContent>;
  // Past a bound the rest is read and dropped, not cancelled: pdf.js 6 then enqueues a chunk already
  // on its way into the closed stream and throws out of its message handler, killing the process.
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    if (truncated) continue;
    Object.assign(styles, chunk.value.styles);
    for (const item of chunk.value.items) {
      if (!("str" in item) || item.str.trim() === "") continue;
      if (runs.length >= MAX_TEXT_RUNS || chars + item.str.length > MAX_TEXT_CHARS) {
        truncated = true;
        break;
      }
      // item.transform maps text space (1 unit = the font size) to user space; width/height are user-space lengths.
      const [a, b, c, d, e, f] = item.transform as [number, number, number, number, number, number];
      const vertical = styles[item.fontName]?.vertical === true;
      const across = vertical ? Math.hypot(c, d) : Math.hypot(a, b);
      const length = vertical ? item.height : item.width;
      if (!(across > 0) || !(length > 0)) continue;
      // Vertical text runs down from one font size above the origin; the run box is turned a quarter
      // clockwise, its descent on the column's left edge.
      const along: Vec = vertical ? [(-c / across) * length, (-d / across) * length] : [(a / across) * length, (b / across) * length];
      const up: Vec = vertical ? [a, b] : [c, d];
      const origin: Vec = vertical ? [e + 0.2 * a + c, f + 0.2 * b + d] : [e, f];
      const [ax, ay] = vector(along);
      const [ux, uy] = vector(up);
      const [ox, oy] = point(origin);
      if (![ax, ay, ux, uy, ox, oy].every(Number.isFinite)) continue;
      // pdf.js gives right-to-left text in logical order; laid out left to right it must be in visual order.
      const text = item.dir === "rtl" ? [...item.str].reverse().join("") : item.str;
      chars += text.length;
      runs.push({ text, matrix: [ax, ay, ux, uy, ox, oy] });
    }
  }
  return { runs, truncated };
}

/**
 * Links kept per page at most: a crafted page carries 100,000 (17 MB) and each becomes an annotation
 * of the output; no real page has a tenth as many.
 */
export const MAX_LINKS_PER_PAGE = 10_000;

async function links(doc: PDFDocumentProxy, page: PDFPageProxy, viewport: Viewport, uriActions: () => Promise<UriActionTest>): Promise<SourceLink[]> {
  const result: SourceLink[] = [];
  for (const annotation of (await page.getAnnotations()) as Array<Record<string, unknown>>) {
    if (result.length >= MAX_LINKS_PER_PAGE) break;
    if (annotation.subtype !== "Link" || !Array.isArray(annotation.rect)) continue;
    const rect = viewportRect(viewport, annotation.rect as number[]);
    if (!rect.every(Number.isFinite)) continue;
    // Only a URI action's own http(s) or mailto URL; never one recovered from a script or a launch
    // (web-link.ts), nor a Launch or GoToR file that is itself a web URL (link-actions.ts).
    const url = webLink(annotation);
    if (url && (await uriActions())(annotation.id)) {
      result.push({ rect, url });
    } else if (annotation.dest) {
      const dest = await resolveDest(doc, annotation.dest);
      if (dest) result.push({ rect, dest });
    }
  }
  return result;
}

/** Resolves a named or explicit destination to a page and a point in its displayed space; null when it points nowhere. */
export async function resolveDest(doc: PDFDocumentProxy, dest: unknown): Promise<SourceDest | null> {
  try {
    const explicit: unknown = typeof dest === "string" ? await doc.getDestination(dest) : dest;
    if (!Array.isArray(explicit) || explicit.length < 2) return null;
    const [ref, kind] = explicit as [unknown, { name?: unknown } | undefined];
    let index: number;
    if (ref !== null && typeof ref === "object" && "num" in ref && "gen" in ref) {
      index = await doc.getPageIndex(ref as { num: number; gen: number });
    } else if (typeof ref === "number" && Number.isInteger(ref)) {
      index = ref; // some writers use a page index instead of a page reference
    } else {
      return null;
    }
    if (!(index >= 0 && index < doc.numPages)) return null;
    const args = explicit.slice(2).map((v) => (typeof v === "number" && Number.isFinite(v) ? v : null));
    let [x, y]: Array<number | null> = [null, null];
    switch (kind?.name) {
      case "XYZ":
        [x = null, y = null] = args;
        break;
      case "FitH":
      case "FitBH":
        y = args[0] ?? null;
        break;
      case "FitV":
      case "FitBV":
        x = args[0] ?? null;
        break;
      case "FitR":
        x = args[0] ?? null;
        y = args[3] ?? null;
        break;
    }
    if (x === null && y === null) return { page: index + 1, x: null, y: null };
    const viewport = (await doc.getPage(index + 1)).getViewport({ scale: 1 });
    const [vx, vy] = viewport.convertToViewportPoint(x ?? 0, y ?? 0) as [number, number];
    // A quarter turn swaps which user coordinate each displayed coordinate comes from.
    const swapped = viewport.rotation % 180 !== 0;
    return {
      page: index + 1,
      x: (swapped ? y : x) === null ? null : vx,
      y: (swapped ? x : y) === null ? null : vy,
    };
  } catch {
    return null; // a broken destination loses its target, not the run
  }
}

interface PdfJsOutlineNode {
  title: string;
  bold: boolean;
  italic: boolean;
  color: Uint8ClampedArray;
  dest: string | unknown[] | null;
  url: string | null;
  unsafeUrl?: unknown;
  newWindow?: unknown;
  count: number | undefined;
  items: PdfJsOutlineNode[];
}

/** The document outline with destinations resolved; empty when there is none or it cannot be read. */
export async function readOutline(doc: PDFDocumentProxy): Promise<SourceOutlineItem[]> {
  const outline = (await doc.getOutline().catch(() => null)) as PdfJsOutlineNode[] | null;
  // A bookmark's web URL only where its action is a URI action as written (link-actions.ts), read only when one has a URL.
  let raw: RawOutlineItem[] | null = null;
  const anyUrl = (items: PdfJsOutlineNode[]): boolean => items.some((item) => webLink(item) !== null || anyUrl(item.items ?? []));
  if (outline && anyUrl(outline)) raw = await readRawOutline(await doc.getData());
  const convert = async (items: PdfJsOutlineNode[], written: RawOutlineItem[] | undefined): Promise<SourceOutlineItem[]> => {
    const result: SourceOutlineItem[] = [];
    // The tree as written must have the same shape, or no URL of this level is trusted.
    const matches = written !== undefined && written.length === items.length;
    for (const [i, item] of items.entries()) {
      const mine = matches ? written[i] : undefined;
      result.push({
        title: typeof item.title === "string" ? item.title : "",
        dest: item.dest ? await resolveDest(doc, item.dest) : null,
        url: mine?.uri ? webLink(item) : null,
        open: (item.count ?? 0) > 0,
        bold: item.bold === true,
        italic: item.italic === true,
        color: [item.color?.[0] ?? 0, item.color?.[1] ?? 0, item.color?.[2] ?? 0],
        children: await convert(item.items ?? [], mine?.children),
      });
    }
    return result;
  };
  return outline ? convert(outline, raw ?? undefined) : [];
}

/** Title, Author, Subject, Keywords and CreationDate from the document information dictionary (non-empty ones). */
export async function readInfo(doc: PDFDocumentProxy): Promise<SourceInfo> {
  const info = (await doc.getMetadata()).info as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const value = info[key];
    return typeof value === "string" && value.trim() !== "" ? value : undefined;
  };
  const result: SourceInfo = {};
  const entries = { title: text("Title"), author: text("Author"), subject: text("Subject"), keywords: text("Keywords") };
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) result[key as keyof typeof entries] = value;
  const created = text("CreationDate");
  const date = created ? PDFDateString.toDateObject(created) : null;
  if (date && !Number.isNaN(date.getTime())) result.creationDate = date;
  return result;
}
