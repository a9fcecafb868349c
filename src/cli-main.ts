import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { rasterize, rasterizeBatch } from "./api.js";
import { ExitCode, InputError, PdfRasterError, UsageError, describeError } from "./errors.js";
import { expandInputs } from "./inputs.js";
import { refuseDashInputs, refuseFilesAsOptions } from "./operands.js";
import { passwordWarning } from "./cluster/connection.js";
import { DEFAULTS, normalizeOptions, RUN_OPTIONS, type RasterizeOptions } from "./options.js";
import { commanderOptions, namesOf, switchArguments, valuesOf } from "./option-table.js";
import { batchSummaryLine, ProgressBar, summaryLine } from "./progress.js";
import type { BatchReport, ProgressEvent, RasterizeReport } from "./report.js";
import { workerSandbox } from "./pool/spawn.js";
import { describeSandbox, sandboxWarning, type SandboxInfo } from "./sandbox/index.js";
import { listenForStop } from "./signals.js";

/** The CLI's own flags; the run's options are in RUN_OPTIONS (option-table.ts), read by toOptions(). */
interface CliFlags {
  outDir?: string;
  progress?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  redis?: string;
}

/** The CLI names options by their flags: "Expected `--dpi` to be ...". */
const CLI_NAMES = namesOf(RUN_OPTIONS, "flag");

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

function program(): Command {
  const command = new Command("pdfraster")
    .description("Rasterize every page of a PDF in parallel and write an image-only PDF, or one image per page.")
    .usage("[options] <input.pdf> <output>\n       pdfraster [options] --out-dir <dir> <input.pdf...>")
    .version(version)
    .argument("<files...>", "input and output, or with --out-dir the inputs");
  for (const option of commanderOptions(RUN_OPTIONS, "run")) command.addOption(option);
  return command
    .option("--out-dir <dir>", "batch: rasterize every input into <dir>/<input-stem>.pdf through one pool (default: none, one input and one output)")
    .addOption(new Option("--progress <format>", "progress on stderr: a bar (on a terminal) or one JSON object per line").choices(["bar", "json"]).default("bar"))
    .option("--json", "print the final report as one JSON object on stdout")
    .option("--quiet", "no progress bar and no summary line (errors and failed pages are still listed)")
    .option("--verbose", "stage timings, worker output and stack traces on stderr")
    .addHelpText(
      "after",
      "\nOutputs:\n" +
        "  pdfraster in.pdf out.pdf              one PDF; `-` reads stdin or writes stdout (only on success)\n" +
        "  pdfraster in.pdf out/                 one image per page: out/in-01.jpg ... (a folder: ends in / or exists)\n" +
        "  pdfraster in.pdf out/page-%03d.png    one image per page, named by the pattern; its extension sets the format\n" +
        "  pdfraster in.pdf out.tiff             one multi-page TIFF (Deflate; Group 4 for --color mono; JPEG with --format jpeg)\n" +
        "  pdfraster --out-dir out/ a.pdf b.pdf  a batch through one pool of workers: out/a.pdf, out/b.pdf\n" +
        "  pdfraster --out-dir out/ '*.pdf'      a quoted glob is expanded by pdfraster; files named like options go after --\n" +
        "  pdfraster serve --port 8080           an HTTP service with warm workers (see pdfraster serve --help)\n" +
        "\nCluster (see docs/cluster.md):\n" +
        "  pdfraster worker --redis URL          render the pages submitted with --redis URL (pdfraster worker --help)\n" +
        "  pdfraster cluster status --redis URL  workers, queue depth and runs in flight\n" +
        "\nExit codes: 0 all pages rendered; 1 unexpected error; 2 usage or input error (in a batch: a document could not be read);\n" +
        "3 one or more pages failed (in a batch: in any document; 3 wins over 2); 4 --sandbox strict and no OS sandbox here;\n" +
        "130/143 interrupted by SIGINT/SIGTERM.\n" +
        "Cluster: 2 also when Redis cannot be reached at the start; 1 when it is lost during the run (no output written).",
    )
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

/**
 * The run's options as the flags gave them (numbers as numbers, the rest as text), checked here with
 * the flags' names so that a mistake is named as typed (`--dpi`); rasterize() checks them again.
 */
function toOptions(flags: Record<string, unknown>): RasterizeOptions {
  const options = valuesOf(RUN_OPTIONS, "run", flags) as RasterizeOptions;
  options.redis ??= process.env.PDFRASTER_REDIS || undefined;
  normalizeOptions(options, CLI_NAMES);
  return options;
}

/** Reads a whole PDF from standard input. */
async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) throw new UsageError("The input is `-` but standard input is a terminal: pipe a PDF into pdfraster");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  if (chunks.length === 0) throw new InputError("Standard input is empty: pipe a PDF into pdfraster");
  return Buffer.concat(chunks);
}

async function main(argv: string[]): Promise<number> {
  // The service loads its HTTP stack only when asked for (`./serve` is an input file named serve).
  if (argv[2] === "serve") return (await import("./serve/cli.js")).serveMain(argv.slice(3));
  if (argv[2] === "worker" || argv[2] === "cluster") {
    // Subcommands (a PDF named like one is `./worker`); the cluster code loads only for them.
    const { clusterMain } = await import("./cluster/cli.js");
    const code = await clusterMain(argv.slice(2));
    if (argv[2] === "worker") process.exit(code); // nothing is left to flush; no timer of a client library may keep it up
    return code;
  }
  const cli = program();
  let verbose = argv.includes("--verbose") || process.env.DEBUG !== undefined;
  let json = argv.includes("--progress=json") || argv.join(" ").includes("--progress json");
  const fatal = (error: unknown): number => {
    const known = error instanceof PdfRasterError;
    const exitCode = known ? error.exitCode : ExitCode.unexpected;
    const message = known ? error.message : `unexpected error: ${describeError(error)}`;
    if (json) process.stderr.write(`${JSON.stringify({ type: "error", code: known ? error.code : "ERR_UNEXPECTED", exitCode, message })}\n`);
    else process.stderr.write(`pdfraster: ${message}\n`);
    if (verbose) {
      const detail = known ? (error.cause as Error | undefined)?.stack ?? error.cause : (error as Error).stack ?? error;
      if (detail) process.stderr.write(`${String(detail)}\n`);
    }
    return exitCode;
  };
  try {
    refuseFilesAsOptions(argv.slice(2));
    argv = [...argv.slice(0, 2), ...switchArguments(RUN_OPTIONS, "run", argv.slice(2))];
    cli.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok; // --help, --version
      return fatal(new UsageError(`${error.message.replace(/^error: /, "")}\n(see pdfraster --help)`));
    }
    if (error instanceof UsageError) return fatal(error);
    throw error;
  }
  const flags = cli.opts<CliFlags>();
  const files = cli.args;
  const redisWarning = passwordWarning(flags.redis);
  if (redisWarning) process.stderr.write(`pdfraster: ${redisWarning}\n`);
  try {
    refuseDashInputs(argv.slice(2), files);
  } catch (error) {
    return fatal(error);
  }
  verbose ||= flags.verbose === true;
  json = flags.progress === "json";

  const stop = listenForStop();

  const bar = !flags.quiet && !json && process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  const batch = flags.outDir !== undefined;
  const totals = { done: 0, total: 0 };
  const onProgress = (event: ProgressEvent): void => {
    if (json) {
      process.stderr.write(`${JSON.stringify(event)}\n`);
      return;
    }
    if (event.type === "document-open") totals.total += event.selected;
    if (event.type === "page-done" || (event.type === "page-failed" && !event.willRetry)) totals.done++;
    if (batch) {
      if (event.type === "page-done" || event.type === "page-failed") bar?.draw(totals.done, totals.total);
    } else {
      bar?.update(event);
    }
    if (event.type === "no-workers") {
      // Said even with --quiet: without it a run with no worker to render it waits in silence.
      bar?.clear();
      const queue = event.queue === "default" ? "" : ` --queue ${event.queue}`;
      process.stderr.write(
        `pdfraster: no pdfraster worker is registered on queue \`${event.queue}\` of ${event.redis ?? "Redis"} (waited ${Math.round(event.waitedMs / 1000)} s); ` +
          `the pages wait in the queue: start one with \`pdfraster worker --redis URL${queue}\`, or limit the wait with --wait-timeout\n`,
      );
      return;
    }
    // --quiet hides progress (retries included) and summaries, never errors. A single document lists
    // its failed pages at the end (finishOne); a batch's only list of them is these lines.
    const batchError = batch && (event.type === "document-failed" || (event.type === "page-failed" && !event.willRetry));
    if (flags.quiet && !batchError) return;
    if (event.type === "page-failed") {
      bar?.clear();
      const retry = event.willRetry ? " (retrying)" : "";
      const where = batch ? `${event.input}: ` : "";
      process.stderr.write(`pdfraster: ${where}page ${event.page} failed${retry}: ${event.reason}\n`);
    } else if (event.type === "document-failed") {
      bar?.clear();
      process.stderr.write(`pdfraster: ${event.error.message}\n`);
    } else if (batch && event.type === "document-done") {
      bar?.clear();
      process.stderr.write(`pdfraster: ${event.input}: ${summaryLine(event.report)}\n`);
    }
  };
  try {
    const options: RasterizeOptions = { ...toOptions(cli.opts()), onProgress, signal: stop.signal };
    exitWhenDone = options.redis !== undefined;
    if (options.redis === undefined) announceSandbox(workerSandbox(options.sandbox ?? DEFAULTS.sandbox), json, verbose);
    if (batch) {
      if (files.includes("-")) throw new UsageError("A batch (--out-dir) reads files: `-` (standard input) is for one document");
      const report = await rasterizeBatch(await expandInputs(files), flags.outDir!, options);
      return finishBatch(report, flags, json);
    }
    if (files.length !== 2) {
      throw new UsageError(`Expected an input and an output, got ${files.length} argument(s): for many inputs use --out-dir <dir>\n(see pdfraster --help)`);
    }
    const [input, output] = files as [string, string];
    if (output === "-" && flags.json) throw new UsageError("--json prints to standard output, where the PDF goes with output `-`: use one or the other");
    const report = await rasterize(input === "-" ? await readStdin() : input, output === "-" ? process.stdout : output, options);
    return finishOne(report, flags, json, verbose);
  } catch (error) {
    bar?.clear();
    return fatal(error);
  } finally {
    bar?.clear();
    stop.dispose();
  }
}

/** Once at start: a weaker sandbox than the OS one is always said (even with --quiet); the sandbox itself with --verbose. */
function announceSandbox(info: SandboxInfo, json: boolean, verbose: boolean): void {
  const warning = sandboxWarning(info);
  if (json) {
    if (warning) process.stderr.write(`${JSON.stringify({ type: "warning", message: warning, sandbox: info })}\n`);
    return;
  }
  if (warning) process.stderr.write(`pdfraster: warning: ${warning}\n`);
  else if (verbose) process.stderr.write(`pdfraster: sandbox: ${describeSandbox(info)}\n`);
}

function finishOne(report: RasterizeReport, flags: CliFlags, json: boolean, verbose: boolean): number {
  if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  if (!json) {
    if (report.failed.length > 0) {
      const list = report.failed.map((f) => `  page ${f.page}: ${f.reason}`).join("\n");
      process.stderr.write(`pdfraster: ${report.failed.length} page(s) failed:\n${list}\n`);
    }
    if (verbose) {
      const t = report.timings;
      process.stderr.write(`pdfraster: timings (ms, summed over pages): ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(", ")}\n`);
    }
    if (!flags.quiet) process.stderr.write(`pdfraster: ${summaryLine(report)}\n`);
  }
  return report.failed.length > 0 ? ExitCode.pagesFailed : ExitCode.ok;
}

/** A batch exits 3 when any page of any document failed, else 2 when a document could not be read, else 0. */
function finishBatch(report: BatchReport, flags: CliFlags, json: boolean): number {
  if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  if (!json && !flags.quiet) process.stderr.write(`pdfraster: ${batchSummaryLine(report)}\n`);
  if (report.failedPages > 0) return ExitCode.pagesFailed;
  return report.failed > 0 ? ExitCode.usage : ExitCode.ok;
}

// A reader that stops early (`pdfraster --help | head`) is not our error: no EPIPE stack trace. A PDF
// written to stdout still sees the error through its own stream and fails with exit 2.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});
// stderr carries messages and progress only: when its reader goes away (`--progress json 2>&1 | head`),
// the job goes on and writes its output; there is nowhere left to report the failed write.
process.stderr.on("error", () => {});

/**
 * A cluster run exits as soon as its output and messages are flushed: the Redis client's reply
 * parser (redis-parser, under ioredis) shrinks its shared buffer pool on a 50 ms interval that
 * keeps the process alive for 0.5-2 s after a run that fetched page images; nothing else is left.
 */
let exitWhenDone = false;

/** Resolves once what was written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 || stream.destroyed ? resolve() : stream.write("", () => resolve())));
}

main(process.argv).then(
  async (code) => {
    process.exitCode = code;
    if (!exitWhenDone) return;
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`pdfraster: unexpected error: ${describeError(error)}\n`);
    process.exitCode = ExitCode.unexpected;
  },
);
