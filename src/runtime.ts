/**
 * The Node.js versions pdfraster runs on. Checked before anything else loads (the bin in cli.ts, the
 * API in index.ts), so that an old runtime gets one clear line instead of a failure deep in a
 * dependency (pdf.js 6 needs 22.13).
 */
import { UsageError } from "./errors.js";

export const MIN_NODE = [22, 13] as const;

/** Why this Node.js cannot run pdfraster, or undefined when it can. */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10));
  const [needMajor, needMinor] = MIN_NODE;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return `pdfraster needs Node.js ${needMajor}.${needMinor} or later (24 LTS recommended); this is ${version}`;
}

/** Throws a UsageError on a Node.js that cannot run pdfraster. */
export function assertSupportedNode(version?: string): void {
  const problem = unsupportedNode(version);
  if (problem) throw new UsageError(problem);
}
