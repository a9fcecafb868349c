import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyRequest } from "fastify";
import { HttpError } from "./http-errors.js";
import type { Upload } from "./jobs.js";

/**
 * Content types of a raw upload: the body is the PDF. `application/x-www-form-urlencoded` is what
 * `curl --data-binary @in.pdf` sends when not told otherwise; a body that is not a PDF fails as such (422).
 */
export const RAW_TYPES = ["application/pdf", "application/octet-stream", "application/x-www-form-urlencoded"];

/** Whether a request of this content type carries an upload we read; anything else gets 415 before its body is read. */
export function isUploadType(header: string | undefined): boolean {
  const type = (header ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "multipart/form-data" || RAW_TYPES.includes(type);
}

export const unsupportedType = (header: string | undefined): HttpError =>
  new HttpError(415, "ERR_CONTENT_TYPE", `Send the PDF as application/pdf (or application/octet-stream), or as the field \`file\` of a multipart/form-data form (${header ? `not ${header}` : "the request has no content type"})`);

export const tooLarge = (limit: number): HttpError =>
  new HttpError(413, "ERR_TOO_LARGE", `The request body is over the service's limit of ${limit} bytes`);

/** How much an upload may be, and how slowly it may come. */
export interface UploadLimits {
  /** Most bytes (413 beyond). */
  limit: number;
  /** Most milliseconds from the start of the upload to its last byte (408 beyond). */
  timeoutMs: number;
  /** Bytes per second it must average once UPLOAD_GRACE_MS have passed (408 below); 0: none. */
  minRate: number;
}

/** An upload's first seconds, in which it may be slow (a connection getting up to speed, a form being filled by a slow client). */
export const UPLOAD_GRACE_MS = 5000;
const PACE_CHECK_MS = 500;

export interface Received {
  upload: Upload;
  /** Form fields (multipart); a raw upload's options come from the query. */
  fields: Record<string, string | string[]>;
}

/**
 * Saves the PDF of a request into a new folder of its own under `root`, streaming it to disk and
 * refusing it (413) as soon as it passes `limit` bytes: a raw body (application/pdf or
 * application/octet-stream), or the `file` part of a multipart form, whose other parts are the
 * options. On any failure the folder is removed.
 */
export async function receive(request: FastifyRequest, root: string, limits: UploadLimits): Promise<Received> {
  const { limit } = limits;
  const stopWatching = watchPace(request, limits);
  const dir = await mkdtemp(join(root, "job-"));
  try {
    const path = join(dir, "input.pdf");
    if (request.isMultipart()) {
      const { name, bytes, fields } = await receiveForm(request, path, limit);
      return { upload: { dir, path, name, bytes }, fields };
    }
    const bytes = await saveLimited(request.body as Readable, path, limit);
    return { upload: { dir, path, name: "document.pdf", bytes }, fields: {} };
  } catch (error) {
    // Best effort: the upload's own error is the one to report; a folder left over is removed with the service's root on shutdown.
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw error;
  } finally {
    stopWatching();
  }
}

/**
 * Cuts an upload that is too slow (under `minRate` on average after the grace) or too long (over
 * `timeoutMs`) with 408: the error is raised on the request stream, where the raw-body and the form
 * readers both listen, so either stops storing and the request is answered (then closed, see
 * closeUnread in server.ts). Bytes are counted on the socket: what arrives, whether or not it is read.
 * Returns the function that stops watching.
 */
function watchPace(request: FastifyRequest, limits: UploadLimits): () => void {
  const raw = request.raw;
  const started = performance.now();
  const before = raw.socket.bytesRead;
  // The error may come before a reader listens (the folder is still being made): never unhandled, and
  // should no reader take it, the connection goes after a moment.
  raw.on("error", () => {});
  let last: NodeJS.Timeout | undefined;
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    const bytes = raw.socket.bytesRead - before;
    let reason: string | undefined;
    if (elapsed > limits.timeoutMs) reason = `The upload took longer than the service's limit of ${limits.timeoutMs / 1000} s`;
    else if (limits.minRate > 0 && elapsed > UPLOAD_GRACE_MS && bytes < (limits.minRate * (elapsed - UPLOAD_GRACE_MS)) / 1000) {
      reason = `The upload came slower than the service's minimum of ${limits.minRate} bytes/s`;
    }
    if (reason === undefined) return;
    clearInterval(timer);
    raw.emit("error", new HttpError(408, "ERR_UPLOAD_TIMEOUT", reason));
    last = setTimeout(() => raw.socket.destroy(), 2 * PACE_CHECK_MS);
  }, PACE_CHECK_MS);
  return () => {
    clearInterval(timer);
    clearTimeout(last);
  };
}

async function receiveForm(request: FastifyRequest, path: string, limit: number): Promise<{ name: string; bytes: number; fields: Record<string, string | string[]> }> {
  const fields: Record<string, string | string[]> = {};
  let file: { name: string; bytes: number } | undefined;
  try {
    const parts = request.parts({ limits: { fileSize: limit, files: 1, fields: 64, fieldSize: 4096, parts: 66 } });
    for await (const part of parts) {
      if (part.type === "file") {
        if (part.fieldname !== "file") throw new HttpError(400, "ERR_USAGE", `The PDF goes in the form field \`file\`, not \`${part.fieldname}\``);
        let bytes = 0;
        part.file.on("data", (chunk: Buffer) => (bytes += chunk.length));
        await pipeline(part.file, createWriteStream(path));
        if (part.file.truncated) throw tooLarge(limit);
        // An empty file input sends a part with no name and no bytes.
        if (bytes > 0 || part.filename) file = { name: safeName(part.filename), bytes };
      } else {
        const value = String(part.value);
        const seen = fields[part.fieldname];
        fields[part.fieldname] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
      }
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "FST_REQ_FILE_TOO_LARGE") throw tooLarge(limit);
    if (code === "FST_FILES_LIMIT") throw new HttpError(400, "ERR_USAGE", "Send one PDF per request, in the form field `file`");
    if (code === "FST_PARTS_LIMIT" || code === "FST_FIELDS_LIMIT") throw new HttpError(400, "ERR_USAGE", "The form has too many fields");
    // Writing the upload failed (disk full...): the service's trouble, not the client's.
    if (error instanceof HttpError || typeof (error as NodeJS.ErrnoException).syscall === "string") throw error;
    // Anything else the form parser raises is the form's fault: no boundary, a body cut short, bad part headers.
    throw new HttpError(400, "ERR_REQUEST", `The multipart form is malformed (${String((error as Error).message ?? error).split("\n")[0]!.slice(0, 120)})`);
  }
  if (!file || file.bytes === 0) throw new HttpError(400, "ERR_USAGE", "The form has no PDF: put it in the field `file`");
  return { ...file, fields };
}

/**
 * Streams `source` into `path`, counting; past `limit` it stops storing (unpipes and pauses the
 * request, which is then answered 413 and closed shortly after, see closeUnread()).
 */
function saveLimited(source: Readable, path: string, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let failed = false;
    const out = createWriteStream(path);
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      source.unpipe(out);
      source.pause();
      out.destroy();
      reject(error);
    };
    source.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) fail(tooLarge(limit));
    });
    source.on("error", fail);
    source.on("aborted", () => fail(new HttpError(400, "ERR_REQUEST", "The upload was cut off")));
    out.on("error", fail);
    out.on("finish", () => {
      if (failed) return;
      if (bytes === 0) fail(new HttpError(400, "ERR_USAGE", "The request has no body: send the PDF as the body or in the form field `file`"));
      else resolve(bytes);
    });
    source.pipe(out);
  });
}

/** The client's file name, only as a name (no folders, no control characters), for the result's name. */
function safeName(name: string | undefined): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  const base = (name ?? "").split(/[\\/]/).at(-1)!.replace(/[\u0000-\u001f\u007f"]/g, "").trim();
  return base.slice(0, 200) || "document.pdf";
}
