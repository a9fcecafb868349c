/**
 * What crosses Redis: the job data of one page attempt (a PageTask without any local path), the
 * result message a worker adds to its run's stream, and the cancel and idle messages on pub/sub.
 * Jobs and results are each declared once, as a schema (src/schema.ts) that is also their type, and
 * checked on receipt: a worker treats job data as untrusted input (anyone who can write to the queue
 * can craft one), and a submitter checks what workers send.
 */
import { isObject, type PageTask } from "../pool/messages.js";
import { ENGINE_NAMES } from "../engines/registry.js";
import { KEEP_TEXT_MODES } from "../keep/types.js";
import { absent, bool, int, num, obj, oneOf, str, tagged, tuple, type Infer } from "../schema.js";

/** The job data of a page task. */
export function toClusterJob(task: PageTask, run: string, attempt: number, timeoutMs: number, input: ClusterJob["input"], avoid?: string): ClusterJob {
  const { source: _source, outPath: _outPath, extract, ...rest } = task;
  return {
    v: 1,
    run,
    attempt,
    timeoutMs,
    input,
    ...(avoid ? { avoid } : {}),
    task: { ...rest, ...(extract ? { extract: { text: extract.text, links: extract.links, ...(extract.check ? { check: extract.check } : {}) } } : {}) },
  };
}

/** The worker's own limits, which no job can exceed. */
export interface WorkerLimits {
  maxPixels: number;
  maxInputBytes: number;
  pageTimeoutMs: number;
}

export type Checked = { ok: true; job: ClusterJob } | { ok: false; reason: string };

const RUN_ID = /^[0-9a-f]{32}$/;
const HASH = /^[0-9a-f]{64}$/;
const WORKER_ID = /^[0-9a-f]{16}$/;
/** The largest `auto` probe or text check raster a job may ask for: the planner's are at most 2^22 and 2^23 pixels (bands/plan.ts). */
const MAX_PROBE_PIXELS = 2 ** 24;

const noPath = (at: string) => absent(`the job names a path (${at}): workers read and write only their own files`);
const size = int(1, 1_000_000);
const scale = num(-1e6, 1e6);
const offset = num(-1e9, 1e9);
const byte = int(0, 255);
const side = int(0, 1_000_000);

/** A small whole-page raster a task asks for beside its own (the `auto` probe, the text check). */
function placement(what: string) {
  const transform = `bad ${what} transform`;
  return obj({ width: size, height: size, scaleX: scale.reason(transform), scaleY: scale.reason(transform), offsetX: offset.reason(transform), offsetY: offset.reason(transform) })
    .refine(({ width, height }) => (width * height > MAX_PROBE_PIXELS ? `${what} raster over ${MAX_PROBE_PIXELS} pixels` : undefined))
    .reason(`bad ${what}`);
}

const rasterSize = size.reason("bad raster size");
const pageTransform = "bad page transform";
const taskOrPage = "bad task or page number";
const qualityOrThreshold = "bad quality or threshold";

/** The page task as it travels: a PageTask without `source`, `outPath` or the sidecar path; the worker picks its own. */
const taskSchema = obj(
  {
    source: noPath("task.source"),
    outPath: noPath("task.outPath"),
    path: noPath("task.path"),
    id: int(0, Number.MAX_SAFE_INTEGER).reason(taskOrPage),
    pageNumber: int(1, 10_000_000).reason(taskOrPage),
    width: rasterSize,
    height: rasterSize,
    pad: obj({ top: side, right: side, bottom: side, left: side }).reason("bad padding").optional(),
    scaleX: scale.reason(pageTransform),
    scaleY: scale.reason(pageTransform),
    offsetX: offset.reason(pageTransform),
    offsetY: offset.reason(pageTransform),
    background: tuple(byte, byte, byte).reason("bad background"),
    password: str(undefined, 4096).reason("bad password").optional(),
    engine: oneOf(...ENGINE_NAMES).reason("unknown engine"),
    format: oneOf("jpeg", "png", "auto").reason("bad format"),
    quality: int(1, 100).reason(qualityOrThreshold),
    threshold: byte.reason(qualityOrThreshold),
    color: oneOf("rgb", "gray", "mono").reason("bad colour mode"),
    ppi: num(Number.MIN_VALUE, 1e6).reason("bad ppi"),
    pdf: bool().reason("bad pdf flag").optional(),
    maxImagePixels: int(1, Number.MAX_SAFE_INTEGER).reason("bad image pixel limit").optional(),
    extract: obj({ text: oneOf(false, ...KEEP_TEXT_MODES), links: bool(), path: noPath("task.extract.path"), check: placement("text check").optional() })
      .reason("bad extract request")
      .optional(),
    file: obj({ tiff: bool(), dpi: num(Number.MIN_VALUE, 4800) }).reason("bad file settings").optional(),
    band: obj({ index: int(0, 1_000_000), count: int(1, 1_000_000), top: int(0, 10_000_000), joined: bool() })
      .refine((band) => (band.index < band.count ? undefined : "bad band"))
      .reason("bad band")
      .optional(),
    probe: placement("probe").optional(),
  },
  { unknownKey: "task field" },
).reason("no task");

/** The job data of one page attempt, as a worker accepts it. */
const jobSchema = obj(
  {
    v: oneOf(1),
    /** The submitter's run id (32 hex digits). */
    run: str(RUN_ID).reason("bad run id"),
    /** 1-based attempt; the submitter counts them. */
    attempt: int(1, 10).reason("bad attempt"),
    /** The submitter's page timeout; a worker applies the smaller of it and its own. */
    timeoutMs: int(1, 86_400_000).reason("bad page timeout"),
    /** A retry: the id of the worker whose attempt failed, which leaves the page to another worker if there is one. */
    avoid: str(WORKER_ID).reason("bad worker id in `avoid`").optional(),
    /** The input, by the SHA-256 of its bytes, and its size. */
    input: obj({ hash: str(HASH), bytes: int(1, Number.MAX_SAFE_INTEGER).reason("bad input size") }).reason("bad input reference"),
    task: taskSchema,
  },
  { unknownKey: "field" },
).reason("not a pdfraster page job (version 1)");

export type ClusterJob = Infer<typeof jobSchema>;
export type RemoteTask = ClusterJob["task"];

/**
 * Checks job data against the shape pdfraster sends and the worker's own limits. Any key it does
 * not know, any path, any number out of range: refused, with the reason.
 */
export function checkClusterJob(data: unknown, limits: WorkerLimits): Checked {
  const checked = jobSchema.check(data);
  if (!checked.ok) return checked;
  const reason = overLimit(checked.value, limits);
  return reason ? { ok: false, reason } : { ok: true, job: checked.value };
}

/** What in a well-formed job asks for more than this worker allows, if anything. */
function overLimit({ input, task }: ClusterJob, limits: WorkerLimits): string | undefined {
  if (input.bytes > limits.maxInputBytes) return `the input is ${input.bytes} bytes, over this worker's limit of ${limits.maxInputBytes}`;
  const sheetWidth = task.width + (task.pad ? task.pad.left + task.pad.right : 0);
  const sheetHeight = task.height + (task.pad ? task.pad.top + task.pad.bottom : 0);
  if (sheetWidth * sheetHeight > limits.maxPixels) {
    return `raster of ${sheetWidth}x${sheetHeight} = ${sheetWidth * sheetHeight} pixels exceeds this worker's --max-pixels ${limits.maxPixels}`;
  }
  return undefined;
}

/** The page task a worker runs: the job's task with the worker's own input file and output paths. */
export function toLocalTask(job: ClusterJob, localId: number, source: string, outPath: string, extractPath: string): PageTask {
  const { extract, ...rest } = job.task;
  return { ...rest, id: localId, source, outPath, password: rest.password, ...(extract ? { extract: { ...extract, path: extractPath } } : {}) };
}

const workerRef = obj({ id: str(), host: str(), pid: int(0, 2 ** 32) });
/** A count of bytes or pixels. */
const bytes = int(0, Number.MAX_SAFE_INTEGER);
const ms = num(0, Number.MAX_SAFE_INTEGER);

/** A page result without its local paths: the image (and sidecar, if `extract`) are in the store. */
const remoteResult = obj({
  engine: oneOf(...ENGINE_NAMES),
  bytes,
  outputBytes: bytes,
  format: oneOf("jpeg", "png", "tiff", "g4", "jbig2", "layers", "mixed"),
  width: bytes,
  height: bytes,
  components: oneOf(1, 3),
  bitsPerComponent: oneOf(1, 4, 8),
  encoding: oneOf("mono", "gray4", "gray-smallest", "rgb-jpeg", "rgb-smallest").optional(),
  extract: bool(),
  timings: obj({ load: ms, draw: ms, readback: ms, encode: ms, write: ms, total: ms }),
});

/** What a worker adds to its run's result stream for one job. */
const resultMessage = tagged("type", {
  done: { job: str(), worker: workerRef, result: remoteResult },
  failed: { job: str(), worker: workerRef, reason: str(), code: str().optional() },
});

export type WorkerRef = Infer<typeof workerRef>;
export type RemoteResult = Infer<typeof remoteResult>;
export type ResultMessage = Infer<typeof resultMessage>;

/** Checks a message read from a run's result stream. */
export function isResultMessage(value: unknown): value is ResultMessage {
  return resultMessage.is(value);
}

/** Pub/sub between submitters and workers: cancels (Keys.cancel) and idle announcements (Keys.idle). */
export type ChannelMessage =
  /** The run ended: every page of it is dropped, also those taken later. */
  | { type: "cancel-run"; run: string }
  /** The submitter gave up on these jobs of the run. */
  | { type: "cancel-jobs"; run: string; jobs: Set<string> }
  /** A worker has nothing to render and nothing waits in the queue. */
  | { type: "idle"; worker: string };

/** A cancel on `keys.cancel`: the whole run, or only `jobs` of it. */
export function cancelMessage(run: string, jobs?: string[]): string {
  return JSON.stringify(jobs ? { run, jobs } : { run });
}

/** An idle announcement on `keys.idle`. */
export function idleMessage(worker: string): string {
  return JSON.stringify({ worker });
}

/** Checks a message heard on the cancel or idle channel (Keys.cancel, Keys.idle); undefined for anything else. */
export function parseChannelMessage(channel: "cancel" | "idle" | undefined, raw: string): ChannelMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(message)) return undefined;
  if (channel === "idle") return typeof message.worker === "string" ? { type: "idle", worker: message.worker } : undefined;
  if (channel !== "cancel" || typeof message.run !== "string") return undefined;
  if (message.jobs === undefined) return { type: "cancel-run", run: message.run };
  if (!Array.isArray(message.jobs)) return undefined;
  return { type: "cancel-jobs", run: message.run, jobs: new Set(message.jobs.filter((job): job is string => typeof job === "string")) };
}
