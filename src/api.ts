import { access, constants, mkdir, realpath, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { AbortError, InputError, OutputError, PdfRasterError, PoolError, UsageError, describeError, isDiskError } from "./errors.js";
import { normalizeOptions, type RasterizeOptions } from "./options.js";
import { inputStem, resolveOutput } from "./output/target.js";
import { workerSandbox } from "./pool/spawn.js";
import type { BatchReport, DocumentFailure, RasterizeReport } from "./report.js";
import { abortReason, Scheduler } from "./schedule/scheduler.js";
import { TEMP_PREFIX, createTempDir, sweepInBackground } from "./temp-dir.js";

/**
 * Rasterizes every (selected) page of `input` and writes an image-only PDF to `output`, or one
 * image per page when `output` is a folder (ends in `/` or exists as one) or a pattern such as
 * `out/page-%03d.png` (one image when it is named `.png`/`.jpg` and one page is selected), or
 * streams the PDF to `output` when it is a writable stream (the stream is
 * written only on success, and is not ended).
 * Resolves with a report, also when pages failed (see `report.failed`); rejects with a
 * {@link PdfRasterError} subclass when the run cannot happen at all.
 */
export async function rasterize(
  input: string | Uint8Array,
  output: string | NodeJS.WritableStream,
  options: RasterizeOptions = {},
): Promise<RasterizeReport> {
  const started = performance.now();
  const opts = normalizeOptions(options);
  throwIfAborted(opts.signal);
  const target = await resolveOutput(output);
  if (typeof input !== "string" && !(input instanceof Uint8Array)) {
    throw new UsageError(`Expected \`input\` to be a path or a Uint8Array, got ${typeof input}`);
  }
  const inputPath = typeof input === "string" ? await checkInput(input) : null;
  if (target.kind === "pdf" || target.kind === "tiff") await checkOutput(target.path, output as string, inputPath);
  const sandbox = opts.cluster ? undefined : workerSandbox(opts.sandbox);

  const tempDir = await makeTempDir();
  // Bytes given as input are written into the temp folder: the workers read it (their own folders inside are writable).
  const scheduler = new Scheduler({ options: opts, scope: { readable: [inputPath ?? tempDir], workParent: tempDir }, workers: "fit" });
  try {
    const report = await scheduler.submit({ source: inputPath ?? input, inputPath, target, options: opts, tempDir, started }, { signal: opts.signal });
    return { ...report, ...(sandbox ? { sandbox } : {}) };
  } catch (error) {
    throw asOutputError(error);
  } finally {
    await scheduler.close();
    await rm(tempDir, { recursive: true, force: true }).catch(() => {}); // a temp folder left behind is swept by the next run (temp-dir.ts)
  }
}

/**
 * Rasterizes many documents through one pool of workers, pages of several documents in flight at
 * once, each into `<outDir>/<input-stem>.pdf` (`outDir` is created if needed). A document that
 * cannot be read is reported in its entry and the others go on. Resolves with one entry per input,
 * in input order; rejects only when the batch as a whole cannot run (bad options, two inputs
 * with the same output name, aborted, workers that cannot start).
 */
export async function rasterizeBatch(
  inputs: readonly string[],
  outDir: string,
  options: RasterizeOptions = {},
): Promise<BatchReport> {
  const started = performance.now();
  const opts = normalizeOptions(options);
  throwIfAborted(opts.signal);
  if (!isPathList(inputs)) throw new UsageError("Expected `inputs` to be an array of file paths");
  if (typeof outDir !== "string" || outDir === "") throw new UsageError(`Expected \`outDir\` to be a folder path, got \`${String(outDir)}\``);
  const dir = resolve(outDir);
  const outputs = batchOutputs(inputs, dir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new OutputError(`Cannot create the output folder ${outDir}: ${describeError(error)}`, { cause: error });
  }

  const sandbox = opts.cluster ? undefined : workerSandbox(opts.sandbox);
  const entries: Array<RasterizeReport | DocumentFailure | undefined> = inputs.map(() => undefined);
  const tempDir = await makeTempDir();
  const scheduler = new Scheduler({ options: opts, scope: { readable: inputs.map((input) => resolve(input)), workParent: tempDir }, workers: "all" });
  const failed = (index: number, error: unknown): void => {
    const input = resolve(inputs[index]!); // one form in the report: absolute, as the written documents' (checkInput)
    const e = asOutputError(error) as PdfRasterError;
    entries[index] = { input, output: null, error: { code: e.code, message: e.message } };
    opts.onProgress?.({ type: "document-failed", input, error: { code: e.code, message: e.message } });
  };
  /** What stops the whole batch (aborted, the workers failed), once met. */
  let fatal: { error: unknown } | undefined;
  const outcomes: Promise<void>[] = [];
  try {
    for (const [index, input] of inputs.entries()) {
      // The next document is opened once the workers have taken every page queued so far.
      await scheduler.hungry();
      if (fatal || opts.signal?.aborted) break;
      const documentStarted = performance.now();
      const settle = (error: unknown): void => {
        if (isDocumentError(error)) failed(index, error);
        else fatal ??= { error };
      };
      let path: string;
      const target = { kind: "pdf", path: outputs[index]! } as const;
      try {
        path = await checkInput(input);
        await checkOutput(target.path, target.path, path);
      } catch (error) {
        settle(error);
        continue;
      }
      // Called at once: the scheduler counts the document as being opened before hungry() is asked again.
      const submitted = scheduler.submit({ source: path, inputPath: path, target, options: opts, tempDir, started: documentStarted }, { signal: opts.signal });
      outcomes.push(submitted.then((report) => void (entries[index] = report), settle));
    }
    await Promise.all(outcomes);
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    if (fatal) throw fatal.error;
  } finally {
    await scheduler.close();
    await rm(tempDir, { recursive: true, force: true }).catch(() => {}); // a temp folder left behind is swept by the next run (temp-dir.ts)
  }
  const documents = entries.filter((entry) => entry !== undefined);
  const reports = documents.filter((entry): entry is RasterizeReport => !("error" in entry));
  return {
    documents,
    succeeded: reports.filter((report) => report.output !== null).length,
    failed: documents.length - reports.length,
    failedPages: reports.reduce((sum, report) => sum + report.failed.length, 0),
    durationMs: Math.round(performance.now() - started),
    workers: opts.workers,
    ...(sandbox ? { sandbox } : {}),
  };
}

/** An array of non-empty strings (a caller without types may pass anything). */
function isPathList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string" && item !== "");
}

/** `<dir>/<stem>.pdf` for each input; two inputs with the same stem would overwrite each other. */
function batchOutputs(inputs: readonly string[], dir: string): string[] {
  const seen = new Map<string, string>();
  return inputs.map((input) => {
    const output = join(dir, `${inputStem(input)}.pdf`);
    const other = seen.get(output);
    if (other !== undefined) throw new UsageError(`${other} and ${input} would both be written to ${output}: rename one of them`);
    seen.set(output, input);
    return output;
  });
}

async function makeTempDir(): Promise<string> {
  sweepInBackground(tmpdir());
  try {
    return await createTempDir(tmpdir(), TEMP_PREFIX);
  } catch (error) {
    throw new OutputError(`Cannot create a temp directory in ${tmpdir()}: ${describeError(error)}`, { cause: error });
  }
}

/** Errors that concern one document of a batch (the others go on); anything else stops the batch. */
function isDocumentError(error: unknown): boolean {
  if (isDiskError(error)) return true;
  return error instanceof PdfRasterError && !(error instanceof AbortError) && !(error instanceof PoolError);
}

function asOutputError(error: unknown): unknown {
  if (isDiskError(error)) {
    return new OutputError(`Cannot write the output or its temp files: ${describeError(error)}`, { cause: error });
  }
  return error;
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

async function checkOutput(path: string, output: string, inputPath: string | null): Promise<void> {
  // Named as the user gave it: the error from creating the hidden partial file would name that instead.
  const folder = dirname(output) === "." ? "." : dirname(output);
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent) throw new OutputError(`Cannot write ${output}: the folder ${folder} does not exist`);
  if (!parent.isDirectory()) throw new OutputError(`Cannot write ${output}: ${folder} is not a folder`);
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
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}
