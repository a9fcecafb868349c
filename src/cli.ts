#!/usr/bin/env node
/**
 * The `pdfraster` command. It checks the runtime before the CLI and its dependencies load: on an
 * old Node.js one line and exit 2 (usage), for every subcommand.
 */
import { ExitCode } from "./errors.js";
import { unsupportedNode } from "./runtime.js";

const problem = unsupportedNode();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = ExitCode.usage;
} else {
  await import("./cli-main.js");
}
