/**
 * Reads a document's bookmarks in a worker thread of its own (see outline.ts): a crafted outline can
 * overflow the stack inside pdf.js (1,500 levels: structuredClone of the nested tree in its in-process
 * worker port throws where no caller can catch it), and that must end this thread, not the process.
 */
import { readFile } from "node:fs/promises";
import { parentPort, workerData } from "node:worker_threads";
import { getDocument, VerbosityLevel } from "pdfjs-dist/legacy/build/pdf.mjs";
import { saslPrep } from "../engine.js";
import { readOutline } from "./keep.js";
import { limitOutline, type OutlineReply, type OutlineRequest } from "./outline.js";

const request = workerData as OutlineRequest;
const bytes = typeof request.source === "string" ? await readFile(request.source) : request.source;
const open = (password: string | undefined) =>
  getDocument({ data: new Uint8Array(bytes), password, disableAutoFetch: true, disableStream: true, disableRange: true, enableXfa: false, verbosity: VerbosityLevel.ERRORS })
    .promise;
let doc;
try {
  doc = await open(request.password);
} catch (error) {
  // AES-256 (R6) passwords are SASLprep'ed by their authors, as in the engine.
  if (request.password === undefined || saslPrep(request.password) === request.password) throw error;
  doc = await open(saslPrep(request.password));
}
parentPort!.postMessage({ outline: limitOutline(await readOutline(doc)) } satisfies OutlineReply);
await doc.loadingTask.destroy(); // pdf.js 6: a document is destroyed through its loading task
