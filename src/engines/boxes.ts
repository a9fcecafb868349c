/** Page-box arithmetic shared by the engines (pure): the specification's fallbacks, and the box in displayed space. */
import type { PageBox } from "./engine.js";

/** [x0, y0, x1, y1] in default user space, normalized (x0 < x1, y0 < y1). */
export type Rect = [number, number, number, number];

/**
 * The box to rasterize, with the specification's fallbacks (14.11.2): bleed, trim and art to the
 * CropBox, the CropBox to the MediaBox; cut to the MediaBox. `media`: the page's MediaBox as pdf.js
 * has it (US Letter when absent).
 */
export function chooseBox(raw: Partial<Record<PageBox, Rect>>, box: PageBox, media: Rect): Rect {
  const crop = raw.crop ?? media;
  const chosen = box === "media" ? media : box === "crop" ? crop : (raw[box] ?? crop);
  const cut: Rect = [Math.max(chosen[0], media[0]), Math.max(chosen[1], media[1]), Math.min(chosen[2], media[2]), Math.min(chosen[3], media[3])];
  return cut[2] > cut[0] && cut[3] > cut[1] ? cut : media;
}

/**
 * Where `rect` (default user space) lies in the page's displayed space: origin at the displayed
 * top-left corner of `crop`, y down, after a clockwise `/Rotate` of `rotate` degrees.
 */
export function displayedRect(rect: Rect, crop: Rect, rotate: number): { x: number; y: number; width: number; height: number } {
  const [cx0, cy0, cx1, cy1] = crop;
  const map = ([x, y]: [number, number]): [number, number] => {
    switch (((rotate % 360) + 360) % 360) {
      case 90:
        return [y - cy0, x - cx0];
      case 180:
        return [cx1 - x, y - cy0];
      case 270:
        return [cy1 - y, cx1 - x];
      default:
        return [x - cx0, cy1 - y];
    }
  };
  const [ax, ay] = map([rect[0], rect[1]]);
  const [bx, by] = map([rect[2], rect[3]]);
  return { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax), height: Math.abs(by - ay) };
}
