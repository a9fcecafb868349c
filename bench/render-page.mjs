// One page rendered by pdfraster's own engine (pdf.js), for the encoder benchmarks: the pixels a worker encodes.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = new URL("../dist/", import.meta.url);
const CORPUS = fileURLToPath(new URL("../../shared/corpus/pdfjs/", import.meta.url));

/** Renders `spec` (`file.pdf:page`, a corpus name or a path) at `dpi`; the pixels are a copy that outlives the canvas. */
export async function renderPage(spec, dpi) {
  const { PdfJsEngine } = await import(new URL("engines/pdfjs/engine.js", DIST).href);
  const [file, pageText = "1"] = spec.split(":");
  const engine = await PdfJsEngine.open(file.includes("/") ? file : join(CORPUS, file));
  const pageNumber = Number(pageText);
  const g = await engine.geometry(pageNumber);
  const k = dpi / 72;
  const width = Math.round(g.widthPt * k);
  const height = Math.round(g.heightPt * k);
  const page = await engine.render({ pageNumber, width, height, scaleX: k, scaleY: k, offsetX: 0, offsetY: 0, background: [255, 255, 255] });
  const rgba = Buffer.from(page.rgba);
  const channels = page.channels;
  page.release();
  await engine.close();
  return { rgba, width, height, channels };
}
