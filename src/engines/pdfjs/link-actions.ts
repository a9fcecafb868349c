/**
 * Which link annotations carry a URI action, read from the document's own objects with pdf-lib
 * (loaded only when a page has a link pdf.js gives a web URL for). pdf.js reports the file of a
 * Launch or GoToR action (a string or a URL file specification) as a `url` exactly as it reports a
 * URI action's, so `https://…/calc.exe` launched would become a web link; only the action's /S
 * tells them apart. An annotation that cannot be found (a direct object, an encrypted object
 * stream, a file pdf-lib cannot read) is not taken for a URI action: its web link is dropped.
 */
import type { PDFDocument } from "pdf-lib";

/** Whether the annotation pdf.js names `id` (its object reference, `12R` or `12R3`) has a URI action. */
export type UriActionTest = (id: unknown) => boolean;

/** The document as pdf-lib reads it (without decrypting: names and references are not encrypted), or null. */
async function load(bytes: Uint8Array): Promise<PDFDocument | null> {
  const { PDFDocument: Doc } = await import("pdf-lib");
  return Doc.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false }).catch(() => null);
}

export async function readUriActions(bytes: Uint8Array): Promise<UriActionTest> {
  const { PDFDict, PDFName, PDFRef } = await import("pdf-lib");
  const doc = await load(bytes);
  if (!doc) return () => false;
  return (id) => {
    const ref = typeof id === "string" ? /^(\d+)R(\d*)$/.exec(id) : null;
    if (!ref) return false;
    const annotation = doc.context.lookup(PDFRef.of(Number(ref[1]), Number(ref[2] || 0)));
    const action = annotation instanceof PDFDict ? annotation.lookup(PDFName.of("A")) : undefined;
    return action instanceof PDFDict && action.lookup(PDFName.of("S")) === PDFName.of("URI");
  };
}

/** Which bookmarks have URI actions: the outline as written, in the shape pdf.js gives it (First, then Next). */
export interface RawOutlineItem {
  uri: boolean;
  children: RawOutlineItem[];
}

/**
 * The document's bookmarks with whether each has a URI action, walked as pdf.js walks them (each
 * item once); null when pdf-lib cannot read the file. A bookmark pdf.js shows that this tree does
 * not match is not taken for a URI action (keep.ts readOutline).
 */
export async function readRawOutline(bytes: Uint8Array): Promise<RawOutlineItem[] | null> {
  const { PDFDict, PDFName, PDFRef } = await import("pdf-lib");
  const doc = await load(bytes);
  if (!doc) return null;
  const seen = new Set<string>();
  const root = doc.catalog.lookup(PDFName.of("Outlines"));
  if (!(root instanceof PDFDict)) return [];
  // Iterative (a crafted outline nests thousands deep): each item's children are filled as it is visited.
  const top: RawOutlineItem[] = [];
  const queue: Array<{ ref: unknown; into: RawOutlineItem[] }> = [{ ref: root.get(PDFName.of("First")), into: top }];
  while (queue.length > 0) {
    const { ref, into } = queue.shift()!;
    if (!(ref instanceof PDFRef) || seen.has(ref.toString())) continue;
    seen.add(ref.toString());
    const dict = doc.context.lookup(ref);
    if (!(dict instanceof PDFDict)) continue;
    const action = dict.lookup(PDFName.of("A"));
    const item: RawOutlineItem = { uri: action instanceof PDFDict && action.lookup(PDFName.of("S")) === PDFName.of("URI"), children: [] };
    into.push(item);
    queue.push({ ref: dict.get(PDFName.of("First")), into: item.children }, { ref: dict.get(PDFName.of("Next")), into });
  }
  return top;
}
