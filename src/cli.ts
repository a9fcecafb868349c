#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { rasterize } from "./api.js";
import { AbortError, ExitCode, PdfRasterError, describeError } from "./errors.js";
import { DEFAULTS, type RasterizeOptions } from "./options.js";
import { PAPER_NAMES } from "./paper.js";
import { ProgressBar, summaryLine } from "./progress.js";
import type { ProgressEvent } from "./report.js";

interface CliFlags {
  dpi?: string;
  size?: string;
  fit?: string;
  orientation?: string;
  margin?: string;
  background?: string;
  pages?: string;
  workers?: string;
  format?: string;
  quality?: string;
  color?: string;
  threshold?: string;
  password?: string;
  onError?: string;
  maxPixels?: string;
  pageTimeout?: string;
  maxPagesPerWorker?: string;
  keepText?: boolean;
  keepOutline?: boolean;
  keepLinks?: boolean;
  keepMetadata?: boolean;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

function program(): Command {
  return new Command("pdfraster")
    .description("Rasterize every page of a PDF in parallel and write an image-only PDF.")
    .version(version)
    .argument("<input.pdf>", "the PDF to rasterize")
    .argument("<output.pdf>", "where to write the image-only PDF")
    .option("--dpi <n>", "raster resolution in dots per inch", String(DEFAULTS.dpi))
    .option("--size <paper>", `paper: original, ${PAPER_NAMES.join(", ")}, or WxH with mm|cm|in|pt`, DEFAULTS.size)
    .addOption(new Option("--fit <mode>", "how the page meets the paper").choices(["contain", "cover", "fill", "none"]).default(DEFAULTS.fit))
    .addOption(new Option("--orientation <o>", "paper orientation; auto follows each page").choices(["auto", "portrait", "landscape"]).default(DEFAULTS.orientation))
    .option("--margin <len>", "margin: one length or top,right,bottom,left (mm|cm|in|pt)", DEFAULTS.margin)
    .option("--background <colour>", "paper colour: a name or #rrggbb", DEFAULTS.background)
    .option("--pages <ranges>", "pages to render, e.g. 1-3,7,10- or last (order and repeats kept)")
    .option("--workers <n>", "worker processes (default: number of CPU cores)")
    .addOption(new Option("--format <fmt>", "page image format").choices(["jpeg", "png"]).default(DEFAULTS.format))
    .option("--quality <1-100>", "JPEG quality", String(DEFAULTS.quality))
    .addOption(new Option("--color <mode>", "image colour: rgb, gray, or 1-bit mono").choices(["rgb", "gray", "mono"]).default(DEFAULTS.color))
    .option("--threshold <0-255>", "gray level at or above which a mono pixel is white", String(DEFAULTS.threshold))
    .option("--password <pw>", "password of an encrypted PDF")
    .addOption(new Option("--on-error <mode>", "a page that fails twice: abort (no output), blank page, or skip").choices(["abort", "blank", "skip"]).default(DEFAULTS.onError))
    .option("--max-pixels <n>", "fail a page whose raster would exceed this many pixels", String(DEFAULTS.maxPixels))
    .option("--page-timeout <seconds>", "kill and retry a page that takes longer", String(DEFAULTS.pageTimeout))
    .option("--max-pages-per-worker <n>", "replace a worker after this many pages", String(DEFAULTS.maxPagesPerWorker))
    .option("--keep-text", "add an invisible, searchable and selectable text layer from the original text")
    .option("--keep-outline", "keep the bookmarks, pointing at the output pages")
    .option("--keep-links", "keep link annotations: web links and links to pages in the output")
    .option("--keep-metadata", "keep Title, Author, Subject, Keywords and creation date")
    .option("--json", "print the final report as one JSON object on stdout")
    .option("--quiet", "no progress bar and no summary line")
    .option("--verbose", "stage timings, worker output and stack traces on stderr")
    .addHelpText(
      "after",
      "\nExit codes: 0 all pages rendered; 1 unexpected error; 2 usage or input error; 3 one or more pages failed;\n130/143 interrupted by SIGINT/SIGTERM.",
    )
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

function toOptions(flags: CliFlags): RasterizeOptions {
  return {
    dpi: flags.dpi as unknown as number,
    size: flags.size,
    fit: flags.fit as RasterizeOptions["fit"],
    orientation: flags.orientation as RasterizeOptions["orientation"],
    margin: flags.margin,
    background: flags.background,
    pages: flags.pages,
    workers: flags.workers as unknown as number,
    format: flags.format as RasterizeOptions["format"],
    quality: flags.quality as unknown as number,
    color: flags.color as RasterizeOptions["color"],
    threshold: flags.threshold as unknown as number,
    password: flags.password,
    onError: flags.onError as RasterizeOptions["onError"],
    maxPixels: flags.maxPixels as unknown as number,
    pageTimeout: flags.pageTimeout as unknown as number,
    maxPagesPerWorker: flags.maxPagesPerWorker as unknown as number,
    keepText: flags.keepText,
    keepOutline: flags.keepOutline,
    keepLinks: flags.keepLinks,
    keepMetadata: flags.keepMetadata,
  };
}

async function main(argv: string[]): Promise<number> {
  const cli = program();
  let verbose = argv.includes("--verbose") || process.env.DEBUG !== undefined;
  try {
    cli.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok; // --help, --version
      process.stderr.write(`pdfraster: ${error.message.replace(/^error: /, "")}\n(see pdfraster --help)\n`);
      return ExitCode.usage;
    }
    throw error;
  }
  const flags = cli.opts<CliFlags>();
  const [input, output] = cli.args as [string, string];
  verbose ||= flags.verbose === true;

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signal === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated);
    const code = signal === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated;
    controller.abort(new AbortError(`Interrupted by ${signal}`, code));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const bar = !flags.quiet && process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  const onProgress = (event: ProgressEvent): void => {
    bar?.update(event);
    if (event.type === "page-failed" && !flags.quiet) {
      bar?.clear();
      const retry = event.willRetry ? " (retrying)" : "";
      process.stderr.write(`pdfraster: page ${event.page} failed${retry}: ${event.reason}\n`);
    }
  };

  try {
    const report = await rasterize(input, output, { ...toOptions(flags), onProgress, signal: controller.signal });
    bar?.clear();
    if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    if (report.failed.length > 0) {
      const list = report.failed.map((f) => `  page ${f.page}: ${f.reason}`).join("\n");
      process.stderr.write(`pdfraster: ${report.failed.length} page(s) failed:\n${list}\n`);
    }
    if (verbose) {
      const t = report.timings;
      process.stderr.write(`pdfraster: timings (ms, summed over pages): ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(", ")}\n`);
    }
    if (!flags.quiet) process.stderr.write(`pdfraster: ${summaryLine(report)}\n`);
    return report.failed.length > 0 ? ExitCode.pagesFailed : ExitCode.ok;
  } catch (error) {
    bar?.clear();
    if (error instanceof PdfRasterError) {
      process.stderr.write(`pdfraster: ${error.message}\n`);
      if (verbose && error.cause) process.stderr.write(`${String((error.cause as Error).stack ?? error.cause)}\n`);
      return error.exitCode;
    }
    process.stderr.write(`pdfraster: unexpected error: ${describeError(error)}\n`);
    if (verbose) process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.unexpected;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`pdfraster: unexpected error: ${describeError(error)}\n`);
    process.exitCode = ExitCode.unexpected;
  },
);
