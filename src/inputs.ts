import { existsSync } from "node:fs";
import { sep } from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";
import { UsageError } from "./errors.js";

/**
 * Expands glob patterns among the inputs of a batch, for shells that do not (Windows' cmd and
 * PowerShell) or when the pattern is quoted: `docs/*.pdf`, `**\/*.pdf`, `{a,b}.pdf`. A name that
 * exists as a file is taken as it is; a pattern that matches nothing is a usage error.
 * Matches are sorted, so that the order of the batch does not depend on the file system.
 */
export async function expandInputs(args: readonly string[]): Promise<string[]> {
  const inputs: string[] = [];
  for (const arg of args) {
    // tinyglobby takes forward slashes only; on Windows a backslash is a separator, not an escape.
    const pattern = sep === "\\" ? arg.replaceAll("\\", "/") : arg;
    if (existsSync(arg) || !isDynamicPattern(pattern)) {
      inputs.push(arg);
      continue;
    }
    const matches = await glob(pattern, { onlyFiles: true, expandDirectories: false });
    if (matches.length === 0) throw new UsageError(`No file matches \`${arg}\``);
    inputs.push(...matches.sort());
  }
  return inputs;
}
