/**
 * `pdfraster worker` and `pdfraster cluster status`: loaded by cli.ts only when the first argument
 * names them, so that a local run never loads the cluster code.
 */
import { Command, CommanderError } from "commander";
import { ExitCode, PdfRasterError, UsageError, describeError } from "../errors.js";
import { RUN_OPTIONS } from "../options.js";
import { commanderOptions, valuesOf } from "../option-table.js";
import { checkQueueName, checkRedisUrl, connect, maskUrl, passwordWarning } from "./connection.js";
import { startWorker, type WorkerEvent, type WorkerServiceOptions } from "./service.js";
import { formatStatus, readStatus } from "./status.js";
import { listenForStop } from "../signals.js";

interface CommonFlags {
  redis?: string;
  queue?: string;
  json?: boolean;
}

/** The worker's own flags; the render processes' settings are the run's (RUN_OPTIONS, scope `worker`). */
interface WorkerFlags extends CommonFlags {
  store?: string;
  concurrency?: string;
  maxInputSize?: string;
  grace?: string;
  verbose?: boolean;
}

const REDIS_HELP = "Redis URL: redis://[user:password@]host[:port][/db] or rediss:// (default: $PDFRASTER_REDIS)";

function common(command: Command): Command {
  return command
    .option("--redis <url>", REDIS_HELP)
    .option("--queue <name>", "queue name: separate names keep tenants apart on one Redis", "default")
    .option("--json", "one JSON object per line")
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

function redisOf(flags: CommonFlags): string {
  const warning = passwordWarning(flags.redis);
  if (warning) process.stderr.write(`pdfraster: ${warning}\n`);
  const url = flags.redis ?? (process.env.PDFRASTER_REDIS || undefined);
  if (url === undefined) throw new UsageError("No Redis given: use --redis redis://host:6379 or set PDFRASTER_REDIS");
  return checkRedisUrl(url);
}

function workerProgram(): Command {
  const command = common(new Command("pdfraster worker"))
    .description("Render the pages that submitters (`pdfraster ... --redis`) queue on this Redis, with a local pool of worker processes.")
    .option("--store <url>", "where inputs and page images travel: redis, or file:///shared/dir (the submitters' own)", "redis")
    .option("--concurrency <n>", "pages rendered at once (default: number of CPU cores)");
  for (const option of commanderOptions(RUN_OPTIONS, "worker")) command.addOption(option);
  return command
    .option("--max-input-size <bytes>", "largest input PDF this worker fetches", String(512 * 1024 * 1024))
    .option("--grace <seconds>", "on SIGTERM/SIGINT: time to finish the pages held before handing them back", "20")
    .option("--verbose", "also log every page");
}

/** One log line per notable event; nothing per page unless verbose. */
function logLine(event: WorkerEvent): string | undefined {
  switch (event.type) {
    case "ready":
      return `ready: ${event.host} pid ${event.pid}, concurrency ${event.concurrency}, ${event.redis}, queue ${event.queue}, sandbox ${event.sandbox}`;
    case "waiting-for-redis":
      return `cannot reach Redis (${event.reason}); retrying`;
    case "redis-lost":
      return "lost the connection to Redis; reconnecting";
    case "redis-back":
      return "reconnected to Redis";
    case "page-done":
      return `run ${event.run.slice(0, 8)} page ${event.page} done in ${event.ms} ms (${event.bytes} bytes)`;
    case "page-failed":
      return `run ${event.run.slice(0, 8)} page ${event.page} failed: ${event.reason}`;
    case "job-refused":
      return `refused job ${event.job.slice(0, 80)}: ${event.reason}`;
    case "warning":
      return `warning: ${event.message}`;
    case "stopping":
      return `stopping: finishing the pages held (up to ${event.graceSeconds} s)`;
    case "stopped":
      return `stopped after ${event.pagesDone} pages (${event.pagesFailed} failed)`;
  }
}

async function runWorker(argv: string[]): Promise<number> {
  const cli = workerProgram();
  cli.parse(argv, { from: "user" });
  const flags = cli.opts<WorkerFlags>();
  const log = (event: WorkerEvent): void => {
    if (event.type === "page-done" && !flags.verbose) return;
    if (flags.json) process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
    else process.stderr.write(`pdfraster worker: ${logLine(event)}\n`);
  };
  const stop = listenForStop();
  // Numbers as the text commander gave: startWorker checks each (checkNumber reads numbers from text).
  const numbers = { concurrency: flags.concurrency, maxInputSize: flags.maxInputSize, grace: flags.grace } as Pick<WorkerServiceOptions, "concurrency" | "maxInputSize" | "grace">;
  const worker = await startWorker({
    ...(valuesOf(RUN_OPTIONS, "worker", cli.opts()) as Pick<WorkerServiceOptions, "maxPixels" | "pageTimeout" | "maxPagesPerWorker" | "maxWorkerMemory" | "sandbox">),
    ...numbers,
    redis: redisOf(flags),
    queue: flags.queue,
    store: flags.store,
    signal: stop.signal,
    onEvent: log,
  });
  await worker.closed;
  return ExitCode.ok;
}

async function runStatus(argv: string[]): Promise<number> {
  const cli = common(new Command("pdfraster cluster status")).description("Show the workers, queue depth and runs in flight of a cluster.");
  cli.parse(argv, { from: "user" });
  const flags = cli.opts<CommonFlags>();
  const url = redisOf(flags);
  const queue = checkQueueName(flags.queue);
  const redis = await connect(url, { name: "pdfraster-status", initial: "fail", maxRetriesPerRequest: 1 });
  try {
    const status = await readStatus(redis, queue, maskUrl(url));
    process.stdout.write(flags.json ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`);
  } finally {
    redis.disconnect();
  }
  return ExitCode.ok;
}

const CLUSTER_HELP = `Usage: pdfraster cluster <command> [options]

Commands:
  status [options]   show the workers, queue depth and runs in flight (pdfraster cluster status --help)

A cluster is a Redis, \`pdfraster worker\`s that render, and submitters:
  pdfraster worker --redis URL               render the pages queued on this Redis (pdfraster worker --help)
  pdfraster in.pdf out.pdf --redis URL       submit a document to the workers (pdfraster --help)
See docs/cluster.md.
`;

/** `argv`: the arguments after `pdfraster`, starting with `worker` or `cluster`. */
export async function clusterMain(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    const [command, ...rest] = argv;
    if (command === "worker") return await runWorker(rest);
    if (rest[0] === "status") return await runStatus(rest.slice(1));
    if (rest[0] === "--help" || rest[0] === "-h" || rest[0] === "help") {
      process.stdout.write(CLUSTER_HELP);
      return ExitCode.ok;
    }
    if (rest[0] === undefined) {
      process.stderr.write(CLUSTER_HELP);
      return ExitCode.usage;
    }
    throw new UsageError(`Unknown command \`cluster ${rest[0]}\`: the cluster's command is \`status\` (see pdfraster cluster --help)`);
  } catch (thrown) {
    if (thrown instanceof CommanderError && thrown.exitCode === 0) return ExitCode.ok; // --help
    const error = thrown instanceof CommanderError ? new UsageError(thrown.message.replace(/^error: /, "")) : thrown;
    const known = error instanceof PdfRasterError;
    const exitCode = known ? error.exitCode : ExitCode.unexpected;
    const message = known ? error.message : `unexpected error: ${describeError(error)}`;
    if (json) process.stderr.write(`${JSON.stringify({ type: "error", code: known ? error.code : "ERR_UNEXPECTED", exitCode, message })}\n`);
    else process.stderr.write(`pdfraster: ${message}\n`);
    return exitCode;
  }
}
