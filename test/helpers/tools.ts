/** The Debian tools the tests use as independent references, looked up on PATH. */
import { spawnSync } from "node:child_process";

/** The path of `tool` on PATH, or "" when it is not installed. */
export function toolPath(tool: string): string {
  const result = spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : "";
}

/** True when every one of `tools` is installed. What a missing one means (a skip, or in CI a failure) is the caller's. */
export function hasTools(...tools: string[]): boolean {
  return tools.every((tool) => toolPath(tool) !== "");
}
