/** pdf.js viewport geometry that its API no longer offers (pdf.js 6 dropped `convertToViewportRectangle`). */
import type { PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs";

type PageViewport = ReturnType<PDFPageProxy["getViewport"]>;

/**
 * A rectangle in PDF user space (`[x1, y1, x2, y2]`, either corner order) in the viewport's space,
 * as `[left, top, right, bottom]`. Viewports only rotate by multiples of 90 degrees, so the two
 * converted corners still span the rectangle.
 */
export function viewportRect(viewport: PageViewport, rect: readonly number[]): [number, number, number, number] {
  const [x1, y1] = viewport.convertToViewportPoint(rect[0] ?? 0, rect[1] ?? 0) as [number, number];
  const [x2, y2] = viewport.convertToViewportPoint(rect[2] ?? 0, rect[3] ?? 0) as [number, number];
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}
