import { Command, CommanderError, Option } from "commander";
import { ExitCode, PdfRasterError, SandboxError, UsageError, describeError } from "../errors.js";
import { SANDBOX_MODES, type SandboxMode } from "../sandbox/index.js";
import { DEFAULTS } from "../options.js";
import { ENGINE_NAMES, type EngineName } from "../engines/registry.js";
import { passwordWarning } from "../cluster/connection.js";
import { SERVICE_DEFAULTS } from "./config.js";
import { startService } from "./server.js";

interface ServeFlags {
  host: string;
  port: string;
  workers?: string;
  engine: EngineName;
  fallbackEngine?: EngineName;
  pageTimeout: string;
  maxPagesPerWorker: string;
  maxWorkerMemory: string;
  sandbox: SandboxMode;
  maxPixels: string;
  maxBody: string;
  maxPages: string;
  maxJobs: string;
  maxQueue: string;
  maxUploads?: string;
  uploadTimeout: string;
  minUploadRate: string;
  timeLimit: string;
  resultTtl: string;
  grace: string;
  token?: string;
  origin?: string[];
  tempDir?: string;
  redis?: string;
  queue?: string;
  store?: string;
  quiet?: boolean;
}

function program(): Command {
  return new Command("pdfraster serve")
    .description("Rasterize PDFs as an HTTP service with warm workers (see docs/service.md).")
    .option("--host <address>", "interface to listen on (anything but loopback exposes the service)", SERVICE_DEFAULTS.host)
    .option("--port <n>", "TCP port (0: any free port)", String(SERVICE_DEFAULTS.port))
    .option("--workers <n>", "warm worker processes (default: number of CPU cores; not with --redis)")
    .addOption(new Option("--engine <name>", "renderer of every request").choices(ENGINE_NAMES).default(DEFAULTS.engine))
    .addOption(new Option("--fallback-engine <name>", "retry a failed page with this engine (default: none)").choices(ENGINE_NAMES))
    .option("--page-timeout <seconds>", "kill and retry a page that takes longer", String(DEFAULTS.pageTimeout))
    .option("--max-pages-per-worker <n>", "replace a worker after this many pages", String(DEFAULTS.maxPagesPerWorker))
    .option("--max-worker-memory <MB>", "kill a worker over this resident memory; its page fails (0: no cap)", String(DEFAULTS.maxWorkerMemory))
    .addOption(new Option("--sandbox <mode>", "confine the workers: auto (the strongest here), strict (refuse without the OS sandbox, exit 4) or off").choices(SANDBOX_MODES).default(DEFAULTS.sandbox))
    .option("--max-pixels <n>", "most pixels of one page raster (a request may ask for less)", String(DEFAULTS.maxPixels))
    .option("--max-body <bytes>", "largest upload; a larger one gets 413 without being read (suffixes k, M, G)", "100M")
    .option("--max-pages <n>", "most pages one document may select", String(SERVICE_DEFAULTS.maxPages))
    .option("--max-jobs <n>", "documents rendered at once", String(SERVICE_DEFAULTS.maxJobs))
    .option("--max-queue <n>", "documents waiting for a turn; beyond them 429 with Retry-After", String(SERVICE_DEFAULTS.maxQueue))
    .option("--max-uploads <n>", "uploads received at once, apart from the jobs; beyond them 429 (default: 4 x (max-jobs + max-queue))")
    .option("--upload-timeout <seconds>", "most an upload may take; a slower one gets 408", String(SERVICE_DEFAULTS.uploadTimeout))
    .option("--min-upload-rate <bytes>", "bytes per second an upload must average after its first 5 s, else 408 (suffixes k, M; 0: none)", "32k")
    .option("--time-limit <seconds>", "per-document limit from upload to output (504 beyond)", String(SERVICE_DEFAULTS.timeLimit))
    .option("--result-ttl <seconds>", "how long an async job's result is kept", String(SERVICE_DEFAULTS.resultTtl))
    .option("--grace <seconds>", "on SIGTERM, how long documents in flight may take before they are cancelled", String(SERVICE_DEFAULTS.grace))
    .option("--token <token>", "require Authorization: Bearer <token> on /v1 and /metrics, or set PDFRASTER_TOKEN (default: none)")
    .option("--origin <url...>", "origin browsers reach the service at through a proxy, e.g. https://pdf.example.com (default: none; see docs/security.md)")
    .option("--temp-dir <dir>", "where uploads, page images and results live (default: the OS temp dir)")
    .option("--redis <url>", "cluster mode: render on the `pdfraster worker`s of this Redis, redis:// or rediss:// (default: $PDFRASTER_REDIS, else local workers)")
    .option("--queue <name>", "cluster mode: the queue (tenant) name (default: default)")
    .option("--store <url>", "cluster mode: where inputs and page images travel, redis or file:///shared/dir (default: redis)")
    .option("--quiet", "no start-up and shutdown lines on stderr")
    .addHelpText("after", "\nExit codes: 0 stopped by SIGTERM/SIGINT; 1 unexpected error; 2 bad settings or the port cannot be bound;\n4 --sandbox strict and no OS sandbox here.")
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

/** `100M` -> 104857600; plain numbers are bytes. */
export function parseBytes(text: string, flag = "--max-body"): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`Expected \`${flag}\` to be a size such as 100M or 52428800, got \`${text}\``);
  const unit = (match[2] ?? "b").toLowerCase()[0]!;
  const factor = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[unit] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

/** `pdfraster serve ...`: runs until SIGTERM or SIGINT, then shuts down gracefully; resolves with the exit code. */
export async function serveMain(argv: string[]): Promise<number> {
  const cli = program();
  try {
    cli.parse(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok;
      process.stderr.write(`pdfraster: ${error.message.replace(/^error: /, "")}\n(see pdfraster serve --help)\n`);
      return ExitCode.usage;
    }
    throw error;
  }
  const flags = cli.opts<ServeFlags>();
  const say = (line: string): void => {
    if (!flags.quiet) process.stderr.write(`pdfraster serve: ${line}\n`);
  };
  const redisWarning = passwordWarning(flags.redis);
  if (redisWarning) process.stderr.write(`pdfraster: ${redisWarning}\n`);
  let service;
  try {
    service = await startService({
      host: flags.host,
      port: flags.port as unknown as number,
      workers: flags.workers as unknown as number,
      engine: flags.engine,
      fallbackEngine: flags.fallbackEngine,
      pageTimeout: flags.pageTimeout as unknown as number,
      maxPagesPerWorker: flags.maxPagesPerWorker as unknown as number,
      maxWorkerMemory: flags.maxWorkerMemory as unknown as number,
      sandbox: flags.sandbox,
      maxPixels: flags.maxPixels as unknown as number,
      maxBodyBytes: parseBytes(flags.maxBody),
      maxPages: flags.maxPages as unknown as number,
      maxJobs: flags.maxJobs as unknown as number,
      maxQueue: flags.maxQueue as unknown as number,
      maxUploads: flags.maxUploads as unknown as number,
      uploadTimeout: flags.uploadTimeout as unknown as number,
      minUploadRate: parseBytes(flags.minUploadRate, "--min-upload-rate"),
      timeLimit: flags.timeLimit as unknown as number,
      resultTtl: flags.resultTtl as unknown as number,
      grace: flags.grace as unknown as number,
      token: flags.token,
      origins: flags.origin,
      tempDir: flags.tempDir,
      redis: flags.redis ?? (process.env.PDFRASTER_REDIS || undefined),
      queue: flags.queue,
      store: flags.store,
    });
  } catch (error) {
    // Settings are checked under their API names (`maxJobs`); name the flags instead (`--max-jobs`).
    const flagNames = new Set(cli.options.map((option) => option.long));
    const asFlag = (text: string): string =>
      text.replace(/`(\w+)`/g, (whole, name: string) => {
        const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`.replace(/^--max-body-bytes$/, "--max-body");
        return flagNames.has(flag) ? `\`${flag}\`` : whole;
      });
    const message = error instanceof PdfRasterError ? asFlag(error.message) : `cannot start: ${describeError(error)}`;
    process.stderr.write(`pdfraster: ${message}\n`);
    if (error instanceof SandboxError) return error.exitCode;
    return error instanceof PdfRasterError || (error as NodeJS.ErrnoException).code === "EADDRINUSE" || (error as NodeJS.ErrnoException).code === "EACCES" ? ExitCode.usage : ExitCode.unexpected;
  }
  const { config } = service;
  if (service.sandboxWarning) process.stderr.write(`pdfraster serve: warning: ${service.sandboxWarning}\n`); // even with --quiet: never silently weaker
  say(`listening on ${service.url} (${service.backend}${config.token ? ", token required" : ""})`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  say(`${signal}: finishing the documents in flight (up to ${config.graceMs / 1000} s)`);
  // A second signal stops at once.
  const now = (): never => process.exit(ExitCode.unexpected);
  process.once("SIGTERM", now);
  process.once("SIGINT", now);
  await service.close();
  say("stopped");
  return ExitCode.ok;
}
