import { openEngine } from "./dist/worker/engine.js";
import { encodePage } from "./dist/worker/encode.js";
const engine = await openEngine(process.argv[2], process.argv[3]);
const dpi = Number(process.argv[4] ?? 150);
const n = Math.min(engine.pageCount, Number(process.argv[5] ?? 2000));
for (let p = 1; p <= n; p++) {
  const g = await engine.geometry(p);
  const k = dpi / 72;
  const w = Math.round(g.widthPt * k), h = Math.round(g.heightPt * k);
  const page = await engine.render({ pageNumber: p, width: w, height: h, scaleX: w / g.widthPt, scaleY: h / g.heightPt, offsetX: 0, offsetY: 0, background: [255, 255, 255] });
  if (!process.env.NOENC) await encodePage(page.rgba, w, h, "/tmp/engine-scratch/memloop.jpg", { format: "jpeg", quality: 85, color: "rgb" });
  page.release();
  if (p % 200 === 0 || p === 10) {
    const m = process.memoryUsage();
    console.log(p, "rss", (m.rss / 1e6).toFixed(0), "heap", (m.heapUsed / 1e6).toFixed(0), "ext", (m.external / 1e6).toFixed(0), "ab", (m.arrayBuffers / 1e6).toFixed(0));
  }
}
