import { UsageError } from "./errors.js";

/**
 * File names that pose as options. A shell expands `*` before pdfraster starts, so a file named
 * `--out-dir=..` in the folder becomes an option of the command; `--` ends the options (what follows
 * is a file, whatever its name), and a glob given quoted is expanded by pdfraster itself, where a
 * match is always a file. Before `--`, an option given twice (the user's and a file name's) and a
 * file name that begins with `-` (other than `-`, standard input) are refused.
 * `args` are the user's arguments (without node and the script); `operands` what the parser left.
 */
export function checkOperands(args: readonly string[], operands: readonly string[]): void {
  const end = args.indexOf("--");
  const options = end === -1 ? args : args.slice(0, end);
  const literal = end === -1 ? 0 : args.length - end - 1;
  const seen = new Set<string>();
  for (const arg of options) {
    const name = /^(--[a-z][a-z0-9-]*)(?:=|$)/i.exec(arg)?.[1];
    if (name === undefined) continue;
    if (seen.has(name)) {
      throw new UsageError(`\`${name}\` is given twice (is a file named like an option in an unquoted glob? put files after \`--\`, or quote the glob)`);
    }
    seen.add(name);
  }
  for (const operand of operands.slice(0, operands.length - literal)) {
    if (operand.startsWith("-") && operand !== "-") {
      throw new UsageError(`\`${operand}\` looks like an option: a file whose name begins with \`-\` goes after \`--\` (pdfraster -- ${operand} out.pdf)`);
    }
  }
}
