/**
 * The page boxes pdf.js does not expose (its API gives the CropBox cut to the MediaBox only), read
 * with pdf-lib from the document's bytes. Loaded only when a box other than the CropBox is asked for.
 * Box entries are plain numbers, which encryption leaves alone: an encrypted document is read
 * without decrypting, unless its page objects are inside (encrypted) object streams.
 */
import type { PDFDict as Dict } from "pdf-lib";
import type { PageBox } from "../engine.js";
import type { Rect } from "../boxes.js";

const KEYS: Record<PageBox, string> = { media: "MediaBox", crop: "CropBox", bleed: "BleedBox", trim: "TrimBox", art: "ArtBox" };

/** Each page's boxes, as written (inherited from the page tree where the spec allows), undefined where absent or invalid. */
export type RawBoxes = Array<Partial<Record<PageBox, Rect>>>;

export async function readRawBoxes(bytes: Uint8Array): Promise<RawBoxes> {
  const { PDFDocument, PDFArray, PDFDict, PDFName, PDFNumber } = await import("pdf-lib");
  const doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  return doc.getPages().map((page) => {
    const boxes: Partial<Record<PageBox, Rect>> = {};
    for (const [box, key] of Object.entries(KEYS) as Array<[PageBox, string]>) {
      // MediaBox and CropBox are inheritable (7.7.3.3); BleedBox, TrimBox and ArtBox are not.
      // A crafted /Parent chain can loop: each node is visited once.
      const seen = new Set<Dict>();
      let node: Dict | undefined = page.node;
      let value: unknown;
      while (node && !seen.has(node)) {
        seen.add(node);
        value = node.lookup(PDFName.of(key));
        if (value !== undefined || (box !== "media" && box !== "crop")) break;
        const parent: unknown = node.lookup(PDFName.of("Parent"));
        node = parent instanceof PDFDict ? parent : undefined;
      }
      if (!(value instanceof PDFArray) || value.size() !== 4) continue;
      const numbers = value.asArray().map((n) => (n instanceof PDFNumber ? n.asNumber() : Number.NaN));
      if (!numbers.every(Number.isFinite)) continue;
      const [a, b, c, d] = numbers as [number, number, number, number];
      const rect: Rect = [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)];
      if (rect[2] > rect[0] && rect[3] > rect[1]) boxes[box] = rect;
    }
    return boxes;
  });
}
