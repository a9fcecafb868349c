import { existsSync } from "node:fs";
import { UsageError } from "./errors.js";

/**
 * File names that pose as options. A shell expands `*` before pdfraster starts, so a file named
 * `--out-dir=..` (or `--keep-text`) in the folder becomes an option of the command. `--` ends the
 * options (what follows is a file, whatever its name), and a glob given quoted is expanded by
 * pdfraster itself, where a match is always a file. Before `--`, an argument that begins with `-` and
 * names an existing file is refused (an option does not name a file: this one came from a glob), and
 * so is an input that begins with `-` (other than `-`, standard input).
 * `args` are the user's arguments (without node and the script). Before parsing, so that this, not
 * "unknown option", is what the user reads.
 */
export function refuseFilesAsOptions(args: readonly string[], isFile: (path: string) => boolean = existsSync): void {
  for (const arg of beforeEnd(args)) {
    if (arg.startsWith("-") && arg !== "-" && isFile(arg)) {
      throw new UsageError(`\`${arg}\` is an option and the name of a file here (from an unquoted glob?): put files after \`--\`, or quote the glob`);
    }
  }
}

/** After parsing: an input that begins with `-` (other than `-`) must have come after `--`. */
export function refuseDashInputs(args: readonly string[], operands: readonly string[]): void {
  const literal = args.length - beforeEnd(args).length - (args.includes("--") ? 1 : 0);
  for (const operand of operands.slice(0, operands.length - literal)) {
    if (operand.startsWith("-") && operand !== "-") {
      throw new UsageError(`\`${operand}\` looks like an option: a file whose name begins with \`-\` goes after \`--\` (pdfraster -- ${operand} out.pdf)`);
    }
  }
}

/** The arguments before `--` (all of them without one). */
function beforeEnd(args: readonly string[]): readonly string[] {
  const end = args.indexOf("--");
  return end === -1 ? args : args.slice(0, end);
}
