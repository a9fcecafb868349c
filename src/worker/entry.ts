/**
 * Worker process: loads the engine once, keeps the document open, renders one page per task into
 * a file and sends back only its path and metadata. Exits when the master goes away.
 */
import { writeFile } from "node:fs/promises";
import { isMasterMessage, serializeError, type PageResult, type PageTask, type PrepareHint, type WorkerMessage } from "../pool/messages.js";
import { encodePage, warmEncoder } from "./encode.js";
import { chooseEncoding, measurePage, type AutoEncoding } from "./classify.js";
import type { Engine, RenderedPage } from "../engines/engine.js";
import type { PageExtract } from "../keep/types.js";
import { visibleRuns } from "../keep/visibility.js";
import type { PdfJsEngine } from "../engines/pdfjs/engine.js";
import { isEngineName, loadEngine, openEngine, type EngineName } from "../engines/registry.js";
import { faultResultPath, injectBootFault, injectFileFault, injectPageFault } from "./fault.js";
import { startOrphanWatchdog } from "./watchdog.js";

/** One open document per engine: a worker may also render retries on the fallback engine. */
const open = new Map<EngineName, { key: string; engine: Promise<Engine> }>();

function engineFor(doc: { source: string; password?: string; maxImagePixels?: number }, name: EngineName): Promise<Engine> {
  const key = `${doc.source}\0${doc.password ?? ""}\0${doc.maxImagePixels ?? ""}`;
  let current = open.get(name);
  if (current?.key !== key) {
    void current?.engine.then((engine) => engine.close()).catch(() => {}); // a document that failed to open has nothing to close
    current = { key, engine: openEngine(name, doc.source, { password: doc.password, maxImagePixels: doc.maxImagePixels }) };
    open.set(name, current);
  }
  return current.engine;
}

/** Opens the document the master announced, ahead of its first task; a failure is left for that task to meet. */
async function prepare(hint: PrepareHint): Promise<void> {
  const opening = engineFor(hint, hint.engine);
  await opening.catch(() => {
    if (open.get(hint.engine)?.engine === opening) open.delete(hint.engine);
  });
}

async function renderTask(task: PageTask): Promise<PageResult> {
  const started = performance.now();
  await injectPageFault(task.pageNumber, task.engine, task.band?.index);
  const engine = await engineFor(task, task.engine);
  // `auto` on a band: the page's encoding, from the whole page rendered small (the same in every band).
  const encoding = task.probe ? await probeEncoding(engine, task) : undefined;
  // The keep options' text and links come from pdf.js whichever engine draws (pdfjs-keep.ts): they
  // must match what the planner read. Started with the render so that the two overlap.
  const extractor = task.extract ? ((await engineFor(task, "pdfjs")) as PdfJsEngine) : undefined;
  const extracted = task.extract ? extractor?.extract(task.pageNumber, { text: task.extract.text !== false, links: task.extract.links }) : undefined;
  extracted?.catch(() => {}); // awaited below; if the render fails first, not an unhandled rejection
  // The bands of a page that this worker renders one after the other share the loaded page (engine.ts keepPage).
  const keepPage = (task.band?.count ?? 1) > 1;
  const page = await engine.render(task, { keepPage }); // a PageTask is a RenderRequest
  try {
    const image = await encodePage(page.rgba, page.width, page.height, task.outPath, {
      format: task.format,
      quality: task.quality,
      color: task.color,
      threshold: task.threshold,
      ppi: task.ppi,
      pdf: task.pdf === true,
      ...(task.pad ? { pad: { ...task.pad, background: task.background } } : {}),
      ...(task.file ? { file: task.file } : {}),
      ...(encoding ? { encoding } : {}),
      ...(task.band?.joined ? { lossless: true } : {}),
    }, page.channels);
    injectFileFault(task.pageNumber, image.path, task.engine, task.band?.index);
    if (task.extract) await writeFile(task.extract.path, JSON.stringify(await keptText(engine, task, page, (await extracted)!)));
    return {
      id: task.id,
      engine: engine.name,
      path: faultResultPath(task.pageNumber, engine.name, task.band?.index) ?? image.path,
      bytes: image.bytes,
      outputBytes: image.outputBytes,
      format: image.format,
      width: image.width,
      height: image.height,
      components: image.components,
      bitsPerComponent: image.bitsPerComponent,
      ...(image.encoding ? { encoding: image.encoding } : {}),
      ...(task.extract ? { extractPath: task.extract.path } : {}),
      timings: {
        load: page.timings.loadMs,
        draw: page.timings.drawMs,
        readback: page.timings.readbackMs,
        encode: image.encodeMs,
        write: image.writeMs,
        total: performance.now() - started,
      },
    };
  } finally {
    page.release(); // the pixels belong to the canvas: free it only once sharp is done
  }
}

/**
 * `keepText: "visible"`: only the runs that left ink in the page's render (keep/visibility.ts), and
 * how many did not: on the task's own pixels, or on the page rendered as `extract.check` says (a
 * band shows only its rows; a low-resolution page is a blur). Any engine's render will do, as the
 * test is on pixels.
 */
async function keptText(engine: Engine, task: PageTask, page: RenderedPage, extract: PageExtract): Promise<PageExtract> {
  const placement = task.extract?.check;
  if (task.extract?.text !== "visible" || !extract.text) return extract;
  const check = placement ? await engine.render({ ...task, ...placement }, { keepPage: true }) : undefined; // a next band may follow
  try {
    const raster = check ?? page;
    const { runs, hidden } = visibleRuns(extract.text, { data: raster.rgba, width: raster.width, height: raster.height, channels: raster.channels }, placement ?? task);
    return { ...extract, text: runs, hidden };
  } finally {
    check?.release();
  }
}

/** The encodings this worker chose for the pages whose bands it rendered last (the probe is the same for every band). */
const probed = new Map<string, AutoEncoding>();
const PROBES_KEPT = 16;

/**
 * Renders the task's probe (the whole page, small), measures it and chooses the page's `auto`
 * encoding; once per page and worker, since every band of a page has the same probe.
 */
async function probeEncoding(engine: Engine, task: PageTask): Promise<AutoEncoding> {
  const key = JSON.stringify([task.source, task.pageNumber, engine.name, task.color, task.ppi, task.probe]);
  const known = probed.get(key);
  if (known) return known;
  const probe = await engine.render({ ...task, ...task.probe! }, { keepPage: true }); // the band's render follows
  let encoding: AutoEncoding;
  try {
    const stats = measurePage(probe.rgba, probe.width, probe.height, probe.channels);
    encoding = chooseEncoding(stats, { ppi: task.ppi, gray: task.color === "gray" });
  } finally {
    probe.release();
  }
  if (probed.size >= PROBES_KEPT) probed.delete(probed.keys().next().value!);
  probed.set(key, encoding);
  return encoding;
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

let chain = Promise.resolve();
process.on("message", (message: unknown) => {
  if (!isMasterMessage(message)) {
    process.stderr.write(`pdfraster worker: unexpected message ${JSON.stringify(message)?.slice(0, 200)}\n`);
    process.exit(70);
  }
  if (message.type === "shutdown") {
    void chain.finally(() => process.exit(0));
    return;
  }
  if (message.type === "prepare") {
    const { hint } = message;
    chain = chain.then(() => prepare(hint));
    return;
  }
  const { task } = message;
  chain = chain.then(() =>
    renderTask(task).then(
      (result) => send({ type: "done", result }),
      (error: unknown) => send({ type: "failed", id: task.id, error: serializeError(error) }),
    ),
  );
});

// The master is gone (it exited or was killed): nothing left to work for.
process.on("disconnect", () => process.exit(0));
startOrphanWatchdog();
// Ctrl-C reaches the whole process group; the master decides what becomes of its workers.
process.on("SIGINT", () => {});
injectBootFault();

// The master names the engine most pages will use: load it before reporting ready, so that a broken
// install shows up as a worker that cannot start, and start-up time is not charged to the first page.
const preload = process.env.PDFRASTER_ENGINE;
// The encoder is warmed up too: libvips' first JPEG costs tens of ms that would land on the first page.
Promise.all([isEngineName(preload) ? loadEngine(preload) : undefined, warmEncoder()]).then(
  () => send({ type: "ready", pid: process.pid }),
  (error: unknown) => {
    process.stderr.write(`pdfraster worker: cannot load the ${preload} engine: ${serializeError(error).message}\n`);
    process.exit(1);
  },
);
