/**
 * What crosses Redis: the job data of one page attempt (a PageTask without any local path), the
 * result message a worker adds to its run's stream, and the cancel and idle messages on pub/sub. Both are checked on receipt: a worker treats job
 * data as untrusted input (anyone who can write to the queue can craft one), and a submitter checks
 * what workers send.
 */
import { isObject, type PageResult, type PageTask } from "../pool/messages.js";
import { isEngineName } from "../engines/registry.js";

/** The page task as it travels: no `source`, `outPath` or sidecar path; the worker picks its own. */
export type RemoteTask = Omit<PageTask, "source" | "outPath" | "extract"> & { extract?: Omit<NonNullable<PageTask["extract"]>, "path"> };

export interface ClusterJob {
  v: 1;
  /** The submitter's run id (32 hex digits). */
  run: string;
  /** 1-based attempt; the submitter counts them. */
  attempt: number;
  /** The submitter's page timeout; a worker applies the smaller of it and its own. */
  timeoutMs: number;
  /** The input, by the SHA-256 of its bytes, and its size. */
  input: { hash: string; bytes: number };
  /** A retry: the id of the worker whose attempt failed, which leaves the page to another worker if there is one. */
  avoid?: string;
  task: RemoteTask;
}

export interface WorkerRef {
  id: string;
  host: string;
  pid: number;
}

/** A page result without its local paths: the image (and sidecar) are in the store. */
export type RemoteResult = Omit<PageResult, "path" | "extractPath" | "id"> & { extract: boolean };

export type ResultMessage =
  | { type: "done"; job: string; worker: WorkerRef; result: RemoteResult }
  | { type: "failed"; job: string; worker: WorkerRef; reason: string; code?: string };

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
const JOB_KEYS = new Set(["v", "run", "attempt", "timeoutMs", "input", "avoid", "task"]);
const TASK_KEYS = new Set([
  "id", "pageNumber", "width", "height", "scaleX", "scaleY", "offsetX", "offsetY", "background",
  "password", "engine", "format", "quality", "color", "threshold", "ppi", "pad", "file", "extract", "band", "probe", "pdf",
  "maxImagePixels",
]);
/** The largest `auto` probe or text check raster a job may ask for: the planner's are at most 2^22 and 2^23 pixels (bands/plan.ts). */
const MAX_PROBE_PIXELS = 2 ** 24;
const PATH_KEYS = ["source", "outPath", "path"];

function int(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

function finite(value: unknown, limit: number): boolean {
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= limit;
}

/**
 * Checks job data against the shape pdfraster sends and the worker's own limits. Any key it does
 * not know, any path, any number out of range: refused, with the reason.
 */
export function checkClusterJob(data: unknown, limits: WorkerLimits): Checked {
  const refuse = (reason: string): Checked => ({ ok: false, reason });
  if (!isObject(data) || data.v !== 1) return refuse("not a pdfraster page job (version 1)");
  const task = data.task;
  if (isObject(task)) {
    const named = PATH_KEYS.find((key) => key in task) ?? (isObject(task.extract) && "path" in task.extract ? "extract.path" : undefined);
    if (named) return refuse(`the job names a path (task.${named}): workers read and write only their own files`);
  }
  const unknown = Object.keys(data).find((key) => !JOB_KEYS.has(key));
  if (unknown) return refuse(`unknown field \`${unknown}\``);
  if (typeof data.run !== "string" || !RUN_ID.test(data.run)) return refuse("bad run id");
  if (!int(data.attempt, 1, 10)) return refuse("bad attempt");
  if (!int(data.timeoutMs, 1, 86_400_000)) return refuse("bad page timeout");
  if (data.avoid !== undefined && (typeof data.avoid !== "string" || !WORKER_ID.test(data.avoid))) return refuse("bad worker id in `avoid`");
  const input = data.input;
  if (!isObject(input) || typeof input.hash !== "string" || !HASH.test(input.hash) || Object.keys(input).length !== 2) return refuse("bad input reference");
  if (!int(input.bytes, 1, Number.MAX_SAFE_INTEGER)) return refuse("bad input size");
  if ((input.bytes as number) > limits.maxInputBytes) return refuse(`the input is ${input.bytes as number} bytes, over this worker's limit of ${limits.maxInputBytes}`);
  if (!isObject(task)) return refuse("no task");
  const unknownTask = Object.keys(task).find((key) => !TASK_KEYS.has(key));
  if (unknownTask) return refuse(`unknown task field \`${unknownTask}\``);
  if (!int(task.id, 0, Number.MAX_SAFE_INTEGER) || !int(task.pageNumber, 1, 10_000_000)) return refuse("bad task or page number");
  if (!int(task.width, 1, 1_000_000) || !int(task.height, 1, 1_000_000)) return refuse("bad raster size");
  const pad = task.pad;
  if (pad !== undefined && (!isObject(pad) || Object.keys(pad).length !== 4 || !["top", "right", "bottom", "left"].every((side) => int(pad[side], 0, 1_000_000)))) {
    return refuse("bad padding");
  }
  const padded = pad as { top: number; right: number; bottom: number; left: number } | undefined;
  const sheetWidth = (task.width as number) + (padded ? padded.left + padded.right : 0);
  const sheetHeight = (task.height as number) + (padded ? padded.top + padded.bottom : 0);
  if (sheetWidth * sheetHeight > limits.maxPixels) {
    return refuse(`raster of ${sheetWidth}x${sheetHeight} = ${sheetWidth * sheetHeight} pixels exceeds this worker's --max-pixels ${limits.maxPixels}`);
  }
  if (![task.scaleX, task.scaleY].every((v) => finite(v, 1e6)) || ![task.offsetX, task.offsetY].every((v) => finite(v, 1e9))) return refuse("bad page transform");
  const background = task.background;
  if (!Array.isArray(background) || background.length !== 3 || !background.every((v) => int(v, 0, 255))) return refuse("bad background");
  if (task.password !== undefined && (typeof task.password !== "string" || task.password.length > 4096)) return refuse("bad password");
  if (!isEngineName(task.engine)) return refuse("unknown engine");
  if (task.format !== "jpeg" && task.format !== "png" && task.format !== "auto") return refuse("bad format");
  if (!int(task.quality, 1, 100) || !int(task.threshold, 0, 255)) return refuse("bad quality or threshold");
  if (task.color !== "rgb" && task.color !== "gray" && task.color !== "mono") return refuse("bad colour mode");
  if (!finite(task.ppi, 1e6) || (task.ppi as number) <= 0) return refuse("bad ppi");
  if (task.pdf !== undefined && typeof task.pdf !== "boolean") return refuse("bad pdf flag");
  if (task.maxImagePixels !== undefined && !int(task.maxImagePixels, 1, Number.MAX_SAFE_INTEGER)) return refuse("bad image pixel limit");
  const extract = task.extract;
  if (extract !== undefined) {
    const keys = Object.keys(extract as object).length;
    if (!isObject(extract) || keys !== ("check" in extract ? 3 : 2) || ![false, "visible", "all"].includes(extract.text as string) || typeof extract.links !== "boolean") {
      return refuse("bad extract request");
    }
    const check = "check" in extract ? placementError("text check", extract.check) : undefined;
    if (check) return refuse(check);
  }
  const file = task.file;
  if (file !== undefined && (!isObject(file) || Object.keys(file).length !== 2 || typeof file.tiff !== "boolean" || !finite(file.dpi, 4800) || (file.dpi as number) <= 0)) {
    return refuse("bad file settings");
  }
  const band = task.band;
  if (
    band !== undefined &&
    (!isObject(band) || Object.keys(band).length !== 4 || !int(band.count, 1, 1_000_000) || !int(band.index, 0, (band.count as number) - 1) ||
      !int(band.top, 0, 10_000_000) || typeof band.joined !== "boolean")
  ) {
    return refuse("bad band");
  }
  const probe = task.probe === undefined ? undefined : placementError("probe", task.probe);
  if (probe) return refuse(probe);
  return { ok: true, job: data as unknown as ClusterJob };
}

/** What is wrong with a small whole-page raster a task asks for beside its own (the `auto` probe, the text check), if anything. */
function placementError(what: string, value: unknown): string | undefined {
  if (!isObject(value) || Object.keys(value).length !== 6 || !int(value.width, 1, 1_000_000) || !int(value.height, 1, 1_000_000)) return `bad ${what}`;
  if ((value.width as number) * (value.height as number) > MAX_PROBE_PIXELS) return `${what} raster over ${MAX_PROBE_PIXELS} pixels`;
  if (![value.scaleX, value.scaleY].every((v) => finite(v, 1e6)) || ![value.offsetX, value.offsetY].every((v) => finite(v, 1e9))) return `bad ${what} transform`;
  return undefined;
}

/** The page task a worker runs: the job's task with the worker's own input file and output paths. */
export function toLocalTask(job: ClusterJob, localId: number, source: string, outPath: string, extractPath: string): PageTask {
  const { extract, ...rest } = job.task;
  return { ...rest, id: localId, source, outPath, ...(extract ? { extract: { ...extract, path: extractPath } } : {}) };
}

/** Checks a message read from a run's result stream. */
export function isResultMessage(value: unknown): value is ResultMessage {
  if (!isObject(value) || typeof value.job !== "string" || !isObject(value.worker)) return false;
  const worker = value.worker;
  if (typeof worker.id !== "string" || typeof worker.host !== "string" || typeof worker.pid !== "number") return false;
  if (value.type === "failed") return typeof value.reason === "string" && (value.code === undefined || typeof value.code === "string");
  if (value.type !== "done" || !isObject(value.result)) return false;
  const r = value.result;
  return (
    isEngineName(r.engine) &&
    typeof r.bytes === "number" &&
    typeof r.outputBytes === "number" &&
    (r.format === "jpeg" || r.format === "png" || r.format === "tiff" || r.format === "g4" || r.format === "jbig2" || r.format === "layers" || r.format === "mixed") &&
    typeof r.width === "number" &&
    typeof r.height === "number" &&
    (r.components === 1 || r.components === 3) &&
    (r.bitsPerComponent === 1 || r.bitsPerComponent === 4 || r.bitsPerComponent === 8) &&
    typeof r.extract === "boolean" &&
    isObject(r.timings)
  );
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
