/**
 * The planning thread (see survey.ts): opens the document with the planning engine (or the fallback
 * engine), tells the master its page count, reads the pages the master selects, and the document
 * information with `keepMetadata`. Every parse of the document's structure that planning needs
 * happens here, never on the master's main thread.
 */
import { once } from "node:events";
import { parentPort, workerData } from "node:worker_threads";
import { describeError, InputError, PdfRasterError } from "../errors.js";
import { openEngine } from "../engines/registry.js";
import type { PdfJsEngine } from "../engines/pdfjs/engine.js";
import { isSurveyRead, type SurveyedPage, type SurveyReply, type SurveyRequest } from "./messages.js";
import { limitInfo, openDocument } from "./open.js";

const request = workerData as SurveyRequest;
const post = (reply: SurveyReply): void => parentPort!.postMessage(reply);

try {
  const engine = await openDocument(request);
  try {
    post({ type: "opened", engine: engine.name, pageCount: engine.pageCount });
    const [read] = (await once(parentPort!, "message")) as [unknown];
    if (!isSurveyRead(read)) throw new Error(`unexpected message from the master: ${JSON.stringify(read)?.slice(0, 80)}`);
    const pages: SurveyedPage[] = [];
    for (const pageNumber of read.pages) {
      try {
        pages.push(await engine.geometry(pageNumber, request.box));
      } catch (error) {
        pages.push({ pageNumber, error: `cannot read the page: ${describeError(error)}` });
      }
    }
    post({ type: "done", pages, ...(request.info ? { info: await readInfo(engine) } : {}) });
  } finally {
    await engine.close();
  }
} catch (error) {
  post(error instanceof PdfRasterError ? { type: "failed", code: error.code, message: error.message } : { type: "failed", code: "ERR_INPUT", message: describeError(error) });
}

/** Metadata comes from pdf.js whichever engine plans (as the text and links do), cut to size. */
async function readInfo(engine: Awaited<ReturnType<typeof openDocument>>) {
  const pdfjs = (engine.name === "pdfjs" ? engine : await openEngine("pdfjs", request.source, { password: request.password })) as PdfJsEngine;
  try {
    return limitInfo(await pdfjs.info());
  } catch (error) {
    throw new InputError(`Cannot keep the metadata of ${request.displayName} (--keep-metadata): ${describeError(error)}`, { cause: error });
  } finally {
    if (pdfjs !== engine) await pdfjs.close();
  }
}
