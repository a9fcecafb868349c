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

type Viewport = ReturnType<PDFPageProxy["getViewport"]>;
type Vec = [number, number];

/** Text runs and/or links of `page`. */
export async function extractPage(
  doc: PDFDocumentProxy,
  page: PDFPageProxy,
  what: { text: boolean; links: boolean },
): Promise<PageExtract> {
  const viewport = page.getViewport({ scale: 1 });
  const extract: PageExtract = {};
  if (what.text) extract.text = await textRuns(page, viewport);
  if (what.links) extract.links = await links(doc, page, viewport);
  return extract;
}

async function textRuns(page: PDFPageProxy, viewport: Viewport): Promise<SourceTextRun[]> {
  const content = await page.getTextContent();
  const [va, vb, vc, vd, ve, vf] = viewport.transform as [number, number, number, number, number, number];
  const vector = ([x, y]: Vec): Vec => [va * x + vc * y, vb * x + vd * y];
  const point = ([x, y]: Vec): Vec => [va * x + vc * y + ve, vb * x + vd * y + vf];
  const runs: SourceTextRun[] = [];
  for (const item of content.items) {
    if (!("str" in item) || item.str.trim() === "") continue;
    // item.transform maps text space (1 unit = the font size) to user space; width/height are user-space lengths.
    const [a, b, c, d, e, f] = item.transform as [number, number, number, number, number, number];
    const vertical = content.styles[item.fontName]?.vertical === true;
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
    runs.push({ text, matrix: [ax, ay, ux, uy, ox, oy] });
  }
  return runs;
}

/**
 * Links kept per page at most: a crafted page carries 100,000 (17 MB) and each becomes an annotation
 * of the output; no real page has a tenth as many.
 */
export const MAX_LINKS_PER_PAGE = 10_000;

async function links(doc: PDFDocumentProxy, page: PDFPageProxy, viewport: Viewport): Promise<SourceLink[]> {
  const result: SourceLink[] = [];
  for (const annotation of (await page.getAnnotations()) as Array<Record<string, unknown>>) {
    if (result.length >= MAX_LINKS_PER_PAGE) break;
    if (annotation.subtype !== "Link" || !Array.isArray(annotation.rect)) continue;
    const rect = viewportRect(viewport, annotation.rect as number[]);
    if (!rect.every(Number.isFinite)) continue;
    // Only a URI action's own http(s) or mailto URL; never one recovered from a script or a launch (web-link.ts).
    const url = webLink(annotation);
    if (url) {
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
  const convert = async (items: PdfJsOutlineNode[]): Promise<SourceOutlineItem[]> => {
    const result: SourceOutlineItem[] = [];
    for (const item of items) {
      result.push({
        title: typeof item.title === "string" ? item.title : "",
        dest: item.dest ? await resolveDest(doc, item.dest) : null,
        url: webLink(item),
        open: (item.count ?? 0) > 0,
        bold: item.bold === true,
        italic: item.italic === true,
        color: [item.color?.[0] ?? 0, item.color?.[1] ?? 0, item.color?.[2] ?? 0],
        children: await convert(item.items ?? []),
      });
    }
    return result;
  };
  return outline ? convert(outline) : [];
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
