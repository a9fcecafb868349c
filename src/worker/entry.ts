/**
 * Worker process: loads the engine once, keeps the document open, renders one page per task into
 * a file and sends back only its path and metadata. Exits when the master goes away.
 */
import { writeFile } from "node:fs/promises";
import { isMasterMessage, serializeError, type PageResult, type PageTask, type WorkerMessage } from "../pool/messages.js";
import { encodePage } from "./encode.js";
import { injectBootFault, injectPageFault } from "./fault.js";
import { PdfJsEngine } from "./pdfjs.js";
import { startOrphanWatchdog } from "./watchdog.js";

let open: { key: string; engine: Promise<PdfJsEngine> } | undefined;

function engineFor(task: PageTask): Promise<PdfJsEngine> {
  const key = `${task.source}\0${task.password ?? ""}`;
  if (open?.key !== key) {
    void open?.engine.then((engine) => engine.close()).catch(() => {});
    open = { key, engine: PdfJsEngine.open(task.source, { password: task.password }) };
  }
  return open.engine;
}

async function renderTask(task: PageTask): Promise<PageResult> {
  const started = performance.now();
  injectPageFault(task.pageNumber);
  const engine = await engineFor(task);
  // Extraction is started with the render so that the two overlap on the page pdf.js has loaded.
  const extracted = task.extract ? engine.extract(task.pageNumber, task.extract) : undefined;
  extracted?.catch(() => {}); // awaited below; if the render fails first, not an unhandled rejection
  const page = await engine.render({
    pageNumber: task.pageNumber,
    width: task.width,
    height: task.height,
    scaleX: task.scaleX,
    scaleY: task.scaleY,
    offsetX: task.offsetX,
    offsetY: task.offsetY,
    background: task.background,
  });
  try {
    const image = await encodePage(page.rgba, page.width, page.height, task.outPath, {
      format: task.format,
      quality: task.quality,
      color: task.color,
      threshold: task.threshold,
      ppi: task.ppi,
      ...(task.pad ? { pad: { ...task.pad, background: task.background } } : {}),
    });
    if (task.extract) await writeFile(task.extract.path, JSON.stringify(await extracted));
    return {
      id: task.id,
      path: image.path,
      bytes: image.bytes,
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

send({ type: "ready", pid: process.pid });
