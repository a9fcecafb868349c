/**
 * The routes of documents: `POST /v1/rasterize` (upload, wait, download), `POST /v1/jobs` (upload, answer at
 * once) and a job's state, events, result and removal under `/v1/jobs/:id`.
 */
import { open, rm } from "node:fs/promises";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { AbortError } from "../../errors.js";
import { HttpError } from "../http-errors.js";
import { serverTiming, type JobEvent, type ServiceJob } from "../jobs.js";
import { requestOptions } from "../request-options.js";
import { receive } from "../upload.js";
import { track, type ServiceContext } from "./context.js";
import { jobParamsSchema, uploadQuerySchema, type JobParams, type RequestQuery } from "./schemas.js";

const SSE_HEARTBEAT_MS = 15_000;
/**
 * Results are read and written in chunks of 1 MiB rather than Node's 64 KiB: a 300 dpi output is tens
 * of MB. Tracemonkey at 300 dpi (18.5 MB), 2 workers, medians of 4 interleaved requests on a shared
 * machine: the response after the output is committed 153 -> 119 ms (PDFium), 236 -> 179 (pdf.js),
 * 182 -> 88 (MuPDF); the service process's CPU per document 200 -> 160, 260 -> 220, 180 -> 70 ms,
 * time the workers get back on a machine with as many cores as workers.
 */
const SEND_CHUNK_BYTES = 2 ** 20;

type UploadRequest = FastifyRequest<{ Querystring: RequestQuery }>;
const UPLOAD = { schema: { querystring: uploadQuerySchema } };
const JOB = { schema: { params: jobParamsSchema } };

export const documentRoutes: FastifyPluginAsync<ServiceContext> = async (app, { config, root, jobs, inFlight, submitting }) => {
  /**
   * Reads the upload and its options and starts the job: a busy service reads nothing, and the job
   * takes its place only once the upload is complete (a slow upload keeps no document out). Tracked in `submitting` until then: a shutdown lets an upload under way become a job
   * (and then finish within the grace) instead of resetting its connection.
   */
  const submit = (request: UploadRequest): Promise<ServiceJob> => {
    const pending = receiveAndStart(request);
    track(pending, submitting);
    return pending;
  };

  const receiveAndStart = async (request: UploadRequest): Promise<ServiceJob> => {
    const requestStarted = performance.now();
    jobs.uploadStarts();
    let received;
    try {
      received = await receive(request, root, { limit: config.maxBodyBytes, timeoutMs: config.uploadTimeoutMs, minRate: config.minUploadRate });
    } finally {
      jobs.uploadEnded();
    }
    try {
      jobs.admit();
    } catch (error) {
      await rm(received.upload.dir, { recursive: true, force: true });
      throw error;
    }
    try {
      const query = request.query;
      for (const name of Object.keys(received.fields)) {
        if (name in query) throw new HttpError(400, "ERR_USAGE", `\`${name}\` is given in the query and in the form: give it once`);
      }
      return jobs.start(received.upload, requestOptions({ ...query, ...received.fields }, config.base, request.headers.accept), requestStarted);
    } catch (error) {
      jobs.release();
      await rm(received.upload.dir, { recursive: true, force: true });
      throw error;
    }
  };

  app.post<{ Querystring: RequestQuery }>("/v1/rasterize", UPLOAD, async (request, reply) => {
    const job = await submit(request);
    // A client that goes away before its result is sent cancels the job: workers stop, files go.
    const onClose = (): void => {
      if (!reply.raw.writableFinished) void jobs.remove(job, new AbortError("The client went away"));
    };
    reply.raw.on("close", onClose);
    const served = (async () => {
      await job.ended;
      if (job.status !== "done") throw errorOf(job);
      // The result is opened, then its folder removed: nothing is left even if the download stops.
      await sendResult(reply, job, () => jobs.remove(job));
    })();
    track(served, inFlight);
    try {
      await served;
    } finally {
      reply.raw.off("close", onClose);
      void jobs.remove(job);
    }
    return reply;
  });

  app.post<{ Querystring: RequestQuery }>("/v1/jobs", UPLOAD, async (request, reply) => {
    const job = await submit(request);
    return reply.code(202).header("location", `/v1/jobs/${job.id}`).send(job.view());
  });

  const jobOf = (request: FastifyRequest<{ Params: JobParams }>): ServiceJob => {
    const { id } = request.params;
    const job = jobs.get(id);
    if (!job) throw new HttpError(404, "ERR_NOT_FOUND", `No job ${id} (it may have expired)`);
    return job;
  };

  app.get<{ Params: JobParams }>("/v1/jobs/:id", JOB, async (request, reply) => {
    const job = jobOf(request);
    if ((request.headers.accept ?? "").includes("text/event-stream")) return streamEvents(job, reply);
    return job.view();
  });
  app.get<{ Params: JobParams }>("/v1/jobs/:id/events", JOB, async (request, reply) => streamEvents(jobOf(request), reply));
  app.get<{ Params: JobParams }>("/v1/jobs/:id/result", JOB, async (request, reply) => {
    const job = jobOf(request);
    if (!job.finished) throw new HttpError(409, "ERR_NOT_READY", `Job ${job.id} is ${job.status}: its result is not ready`, { "retry-after": "1" });
    if (job.status !== "done") throw errorOf(job);
    const sent = sendResult(reply, job);
    track(sent, inFlight);
    await sent;
    return reply;
  });
  app.delete<{ Params: JobParams }>("/v1/jobs/:id", JOB, async (request, reply) => {
    await jobs.remove(jobOf(request));
    return reply.code(204).send();
  });
};

/** The error a failed or cancelled job answers with. */
function errorOf(job: ServiceJob): HttpError {
  const failure = job.failure ?? { status: 500, body: { code: "ERR_INTERNAL", message: "The job ended without a result" }, headers: {} };
  return new HttpError(failure.status, failure.body.code, failure.body.message, failure.headers, failure.body.failed);
}

/** Streams a job's result with its report in headers; `opened` runs once the file is open (and may unlink it). */
async function sendResult(reply: FastifyReply, job: ServiceJob, opened?: () => Promise<void>): Promise<void> {
  const result = job.result!;
  const report = job.report!;
  const failed = report.failed.map((f) => f.page);
  reply
    .code(200)
    .type(result.type)
    .header("content-length", String(result.bytes))
    .header("content-disposition", contentDisposition(result.filename))
    .header("x-pdfraster-job", job.id)
    .header("x-pdfraster-pages", String(report.outputPages))
    .header("x-pdfraster-rendered", String(report.rendered))
    .header("x-pdfraster-failed", String(failed.length))
    .header("server-timing", serverTiming(job))
    .header("cache-control", "no-store");
  if (failed.length > 0) reply.header("x-pdfraster-failed-pages", failed.slice(0, 500).join(","));
  const file = await open(result.path, "r");
  await opened?.();
  await reply.send(file.createReadStream({ highWaterMark: SEND_CHUNK_BYTES }));
}

/** `attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266 / RFC 8187), so any upload name is a valid header. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  if (ascii === name) return `attachment; filename="${name}"`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** Server-Sent Events: every progress event of the job (replayed, then live), then `end` with the job's state. */
function streamEvents(job: ServiceJob, reply: FastifyReply): FastifyReply {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
  const write = (event: JobEvent): void => {
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    if (event.type === "end") finish();
  };
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), SSE_HEARTBEAT_MS);
  let unsubscribe = (): void => {};
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  };
  res.on("close", finish);
  unsubscribe = job.subscribe(write);
  if (ended) unsubscribe();
  return reply;
}
