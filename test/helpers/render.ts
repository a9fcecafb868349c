import type { Engine, RenderRequest } from "../../src/engines/engine.js";

/** A request for the whole page `pageNumber` at `dpi`, no margins, on white. */
export async function wholePage(engine: Engine, pageNumber: number, dpi: number): Promise<RenderRequest> {
  const { widthPt, heightPt } = await engine.geometry(pageNumber);
  const scale = dpi / 72;
  return {
    pageNumber,
    width: Math.round(widthPt * scale),
    height: Math.round(heightPt * scale),
    scaleX: scale,
    scaleY: scale,
    offsetX: 0,
    offsetY: 0,
    background: [255, 255, 255],
  };
}
