import type { PageTask } from "../../src/pool/messages.js";

/** A page task as the planner makes them, for tests: JPEG q85, RGB, white, 60x80 at scale 0.1; `fields` override. */
export function pageTask(fields: Partial<PageTask> & Pick<PageTask, "id" | "pageNumber" | "outPath" | "source">): PageTask {
  return {
    password: undefined,
    engine: "pdfjs",
    width: 60,
    height: 80,
    scaleX: 0.1,
    scaleY: 0.1,
    offsetX: 0,
    offsetY: 0,
    background: [255, 255, 255],
    format: "jpeg",
    quality: 85,
    color: "rgb",
    threshold: 128,
    ppi: 7.2,
    ...fields,
  };
}
