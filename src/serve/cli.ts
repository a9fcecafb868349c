import { Command, CommanderError } from "commander";
import { ExitCode, PdfRasterError, SandboxError, describeError } from "../errors.js";
import { RUN_OPTIONS } from "../options.js";
import { commanderOptions, namesOf, valuesOf } from "../option-table.js";
import { passwordWarning } from "../cluster/connection.js";
import { normalizeServiceOptions, SERVICE_OPTIONS, type ServiceOptions } from "./config.js";
import { startService } from "./server.js";
import { listenForStop } from "../signals.js";

/** The settings `pdfraster serve` takes: the pool's options of a run, then its own. */
const SERVE_TABLE = [...RUN_OPTIONS, ...SERVICE_OPTIONS];
/** Messages name the flags: "Expected `--max-jobs` to be ...". */
const SERVE_NAMES = namesOf(SERVE_TABLE, "flag");

function program(): Command {
  const command = new Command("pdfraster serve").description("Rasterize PDFs as an HTTP service with warm workers (see docs/service.md).");
  const [own, pool] = [commanderOptions(SERVICE_OPTIONS, "service"), commanderOptions(RUN_OPTIONS, "service")];
  // Where it listens first, then the pool's settings, then the service's limits.
  for (const option of [...own.slice(0, 2), ...pool, ...own.slice(2)]) command.addOption(option);
  return command
    .option("--quiet", "no start-up and shutdown lines on stderr")
    .addHelpText("after", "\nExit codes: 0 stopped by SIGTERM/SIGINT; 1 unexpected error; 2 bad settings or the port cannot be bound;\n4 --sandbox strict and no OS sandbox here.")
    .exitOverride()
    .configureOutput({ outputError: () => {} });
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
  const flags = cli.opts<{ quiet?: boolean; redis?: string }>();
  const say = (line: string): void => {
    if (!flags.quiet) process.stderr.write(`pdfraster serve: ${line}\n`);
  };
  const redisWarning = passwordWarning(flags.redis);
  if (redisWarning) process.stderr.write(`pdfraster: ${redisWarning}\n`);
  let service;
  try {
    const settings = {
      ...valuesOf(RUN_OPTIONS, "service", cli.opts(), { naming: SERVE_NAMES }),
      ...valuesOf(SERVICE_OPTIONS, "service", cli.opts(), { naming: SERVE_NAMES }),
    } as ServiceOptions; // checked on the next line, with the flags' names
    settings.redis ??= process.env.PDFRASTER_REDIS || undefined;
    normalizeServiceOptions(settings, process.env, SERVE_NAMES);
    service = await startService(settings);
  } catch (error) {
    const message = error instanceof PdfRasterError ? error.message : `cannot start: ${describeError(error)}`;
    process.stderr.write(`pdfraster: ${message}\n`);
    if (error instanceof SandboxError) return error.exitCode;
    return error instanceof PdfRasterError || (error as NodeJS.ErrnoException).code === "EADDRINUSE" || (error as NodeJS.ErrnoException).code === "EACCES" ? ExitCode.usage : ExitCode.unexpected;
  }
  const { config } = service;
  if (service.sandboxWarning) process.stderr.write(`pdfraster serve: warning: ${service.sandboxWarning}\n`); // even with --quiet: never silently weaker
  say(`listening on ${service.url} (${service.backend}${config.token ? ", token required" : ""})`);
  const stop = listenForStop(() => ExitCode.unexpected); // a second signal exits at once, with 1
  const signal = await stop.received;
  say(`${signal}: finishing the documents in flight (up to ${config.graceMs / 1000} s)`);
  await service.close();
  say("stopped");
  return ExitCode.ok;
}
