import { randomBytes } from "node:crypto";
import { mkdtemp, realpath, rename, rm, stat, writeFile, access, constants } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { OrderedAssembler } from "./assemble.js";
import { AbortError, InputError, OutputError, UsageError, describeError } from "./errors.js";
import { normalizeOptions, type NormalizedOptions, type RasterizeOptions } from "./options.js";
import { PdfStreamWriter } from "./pdf/writer.js";
import { planDocument, type Plan } from "./plan.js";
import { Pool } from "./pool/pool.js";
import type { PageFailure, ProgressEvent, RasterizeReport, StageTimings } from "./report.js";

const WORKER_ENTRY = fileURLToPath(new URL("./worker/entry.js", import.meta.url));
/** V8 heap cap of each worker; pixels live outside it (canvas, sharp), so this bounds pdf.js itself. */
const WORKER_HEAP_MB = 4096;

/**
 * Rasterizes every (selected) page of `input` and writes an image-only PDF to `output`.
 * Resolves with a report, also when pages failed (see `report.failed`); rejects with a
 * {@link PdfRasterError} subclass when the run cannot happen at all.
 */
export async function rasterize(
  input: string | Uint8Array,
  output: string,
  options: RasterizeOptions = {},
): Promise<RasterizeReport> {
  const started = performance.now();
  const opts = normalizeOptions(options);
  throwIfAborted(opts.signal);
  if (typeof output !== "string" || output === "") {
    throw new UsageError(`Expected \`output\` to be a file path, got \`${String(output)}\``);
  }
  const inputPath = typeof input === "string" ? await checkInput(input) : null;
  if (inputPath === null && !(input instanceof Uint8Array)) {
    throw new UsageError(`Expected \`input\` to be a path or a Uint8Array, got ${typeof input}`);
  }
  const outputPath = await checkOutput(output, inputPath);

  let tempDir: string;
  try {
    tempDir = await mkdtemp(join(tmpdir(), "pdfraster-"));
  } catch (error) {
    throw new OutputError(`Cannot create a temp directory in ${tmpdir()}: ${describeError(error)}`, { cause: error });
  }
  const partial = join(dirname(outputPath), `.${basename(outputPath)}.${randomBytes(4).toString("hex")}.pdfraster-tmp`);
  let writer: PdfStreamWriter | undefined;
  let written = false;
  try {
    let source = inputPath;
    if (source === null) {
      source = join(tempDir, "input.pdf");
      await writeFile(source, input as Uint8Array);
    }
    try {
      writer = await PdfStreamWriter.create(partial);
    } catch (error) {
      throw new OutputError(`Cannot write ${output}: ${describeError(error)}`, { cause: error });
    }
    const displayName = inputPath ?? "the input";
    const planStarted = performance.now();
    const plan = await planDocument(source, displayName, opts, tempDir);
    const planMs = performance.now() - planStarted;
    throwIfAborted(opts.signal);

    const report = await renderPlan(plan, writer, opts);
    report.timings.plan = Math.round(planMs);
    report.input = inputPath;
    if (report.output === "pending") {
      const bytes = await writer.close();
      await rename(partial, outputPath);
      written = true;
      report.output = outputPath;
      report.outputBytes = bytes;
    } else {
      report.output = null;
    }
    report.durationMs = Math.round(performance.now() - started);
    opts.onProgress?.({ type: "document-done", report });
    return report;
  } catch (error) {
    if (isDiskError(error)) {
      throw new OutputError(`Cannot write the output or its temp files: ${describeError(error)}`, { cause: error });
    }
    throw error;
  } finally {
    if (!written) {
      await writer?.abort().catch(() => {});
      await rm(partial, { force: true }).catch(() => {});
    }
    await rm(tempDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** Runs the pool over the plan and assembles in order. `output` is "pending" when the writer should be closed. */
async function renderPlan(plan: Plan, writer: PdfStreamWriter, opts: NormalizedOptions): Promise<RasterizeReport> {
  const timings: StageTimings = { plan: 0, workerStart: 0, load: 0, draw: 0, readback: 0, encode: 0, write: 0, ipc: 0, assemble: 0 };
  const failures: PageFailure[] = [];
  const retried = new Set<number>();
  const tasks = plan.pages.flatMap((page) => ("task" in page ? [page.task] : []));
  const indexOf = new Map(plan.pages.flatMap((page, index) => ("task" in page ? [[page.task.id, index] as const] : [])));
  const white = opts.background.every((c) => c === 255);
  const total = plan.pages.length;
  let done = 0;
  let rendered = 0;
  const emit = (event: ProgressEvent): void => opts.onProgress?.(event);

  const workers = Math.max(1, Math.min(opts.workers, tasks.length));
  emit({ type: "document-open", input: null, pages: plan.pageCount, selected: total, workers });

  let pool: Pool | undefined;
  const fail = (index: number, reason: string): void => {
    const page = plan.pages[index]!.pageNumber;
    failures.push({ page, reason });
    done++;
    emit({ type: "page-failed", page, reason, willRetry: false, done, total });
    if (opts.onError === "abort") pool?.stop();
  };
  const assembler = new OrderedAssembler(
    writer,
    plan.pages.map((page) => page.layout),
    opts.onError,
    white ? undefined : (opts.background.map((c) => c / 255) as [number, number, number]),
    (index, reason) => {
      rendered--;
      done--;
      fail(index, `unusable page image: ${reason}`);
    },
  );

  for (const [index, page] of plan.pages.entries()) {
    if ("error" in page) {
      fail(index, page.error);
      assembler.accept(index, { kind: "failed" });
    }
  }

  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    pool?.stop();
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (tasks.length > 0 && !(opts.onError === "abort" && failures.length > 0)) {
      pool = new Pool(
        {
          size: workers,
          pageTimeoutMs: opts.pageTimeoutMs,
          maxPagesPerWorker: opts.maxPagesPerWorker,
          spawn: {
            entry: WORKER_ENTRY,
            execArgv: [`--max-old-space-size=${WORKER_HEAP_MB}`],
            env: workerEnv(),
            inheritStderr: process.env.DEBUG !== undefined,
          },
        },
        {
          onWorkerReady: (ms) => (timings.workerStart += ms),
          onResult: (task, result, meta) => {
            const index = indexOf.get(task.id)!;
            const t = result.timings;
            timings.load += t.load;
            timings.draw += t.draw;
            timings.readback += t.readback;
            timings.encode += t.encode;
            timings.write += t.write;
            timings.ipc += Math.max(0, meta.elapsedMs - t.total);
            if (result.width !== task.width || result.height !== task.height || result.bytes <= 0) {
              fail(index, `worker returned a ${result.width}x${result.height} image of ${result.bytes} bytes`);
              assembler.accept(index, { kind: "failed" });
              return;
            }
            rendered++;
            done++;
            emit({ type: "page-done", page: task.pageNumber, done, total, ms: Math.round(t.total), bytes: result.bytes, worker: meta.workerPid });
            assembler.accept(index, { kind: "image", result });
          },
          onFailure: (task, reason, final) => {
            const index = indexOf.get(task.id)!;
            if (!final) {
              retried.add(task.pageNumber);
              emit({ type: "page-failed", page: task.pageNumber, reason, willRetry: true, done, total });
              return;
            }
            fail(index, reason);
            assembler.accept(index, { kind: "failed" });
          },
        },
      );
      if (!aborted) await pool.run(tasks);
    }
    if (aborted || opts.signal?.aborted) throw abortError(opts.signal);
    await assembler.flush();
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  timings.assemble = assembler.assembleMs;
  for (const key of Object.keys(timings) as (keyof StageTimings)[]) timings[key] = Math.round(timings[key]);

  failures.sort((a, b) => a.page - b.page);
  const keep = !(opts.onError === "abort" && failures.length > 0) && assembler.pagesWritten > 0;
  return {
    input: null,
    output: keep ? "pending" : null,
    pages: plan.pageCount,
    selected: total,
    rendered,
    failed: failures,
    outputPages: keep ? assembler.pagesWritten : 0,
    outputBytes: 0,
    durationMs: 0,
    workers,
    dpi: opts.dpi,
    size: opts.size === "original" ? "original" : opts.size.name,
    format: opts.format,
    retried: [...retried].sort((a, b) => a - b),
    timings,
  };
}

/** Workers get only what they need: no secrets or loader hooks from the parent's environment. */
function workerEnv(): NodeJS.ProcessEnv {
  // glibc: libvips threads each get a malloc arena, and freed page buffers fragment them: at A3 300 dpi
  // a worker grew to ~790 MB over 14 pages; with 2 arenas it stays under ~530 MB at no measured CPU cost.
  const env: NodeJS.ProcessEnv = { PDFRASTER_WORKER: "1", MALLOC_ARENA_MAX: "2" };
  for (const name of ["PDFRASTER_FAULT", "TZ", "LANG", "MALLOC_ARENA_MAX"]) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

async function checkInput(input: string): Promise<string> {
  const path = resolve(input);
  let info;
  try {
    info = await stat(path);
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : describeError(error);
    throw new InputError(`Cannot read ${input}: ${why}`, { cause: error });
  }
  if (info.isDirectory()) throw new InputError(`${input} is a directory, not a PDF file`);
  if (!info.isFile()) throw new InputError(`${input} is not a regular file`);
  if (info.size === 0) throw new InputError(`${input} is empty (0 bytes)`);
  return path;
}

async function checkOutput(output: string, inputPath: string | null): Promise<string> {
  const path = resolve(output);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new OutputError(`Cannot write ${output}: it is a directory`);
  if (inputPath !== null && existing) {
    const inputInfo = await stat(inputPath);
    if (
      (existing.ino === inputInfo.ino && existing.dev === inputInfo.dev) ||
      (await realpath(path)) === (await realpath(inputPath))
    ) {
      throw new UsageError(`The output ${output} is the input file: choose another output path`);
    }
  }
  return path;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

function abortError(signal: AbortSignal | undefined): AbortError {
  return signal?.reason instanceof AbortError ? signal.reason : new AbortError();
}

function isDiskError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "EROFS" || code === "EIO";
}
