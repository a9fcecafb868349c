/**
 * Layer 1, every platform: Node's permission model. The render process may read the install, its
 * inputs and its own folder, write only its folder, load addons (canvas and sharp are addons), and
 * nothing else: no child processes, no WASI, no inspector; and no eval or `new Function` (pdf.js runs
 * with `isEvalSupported: false`). Its limits: native code (sharp, canvas) is outside it, and it has
 * no say over sockets (Node 24), which is why Linux adds bubblewrap around it (bwrap.ts).
 */
import type { ChildProcess } from "node:child_process";
import { installPaths } from "./install.js";
import type { LaunchSpec, Launcher } from "./launcher.js";
import { PlainLauncher } from "./plain.js";

/** Whether this Node has a flag (process.allowedNodeEnvironmentFlags lists every flag it accepts). */
function hasFlag(flag: string): boolean {
  return process.allowedNodeEnvironmentFlags.has(flag);
}

/** `--permission` (stable since Node 22.13 / 23.5), or Node 20's `--experimental-permission`; undefined when neither, or no `--allow-addons`. */
export function permissionFlag(): string | undefined {
  if (!hasFlag("--allow-addons")) return undefined; // canvas and sharp are addons: no render without them
  if (hasFlag("--permission")) return "--permission";
  return hasFlag("--experimental-permission") ? "--experimental-permission" : undefined;
}

/**
 * The flags that confine a render process. `workers`: allow worker threads, for the orphan
 * watchdog (worker/watchdog.ts: a thread of the same process, under the same permissions), which
 * bubblewrap's `--die-with-parent` makes unneeded.
 */
export function permissionArgv(spec: LaunchSpec, workers: boolean): string[] {
  const flag = permissionFlag();
  if (!flag) throw new Error("this Node has no permission model with addons");
  const read = [...installPaths(spec.entry), ...spec.readable, ...spec.writable, spec.workDir];
  return [
    flag,
    "--allow-addons",
    ...(workers ? ["--allow-worker"] : []),
    // Node warns that addons and worker threads are outside the model: known, and said in docs/security.md.
    ...(hasFlag("--disable-warning") ? ["--disable-warning=SecurityWarning"] : []),
    ...read.map((path) => `--allow-fs-read=${path}`),
    ...[spec.workDir, ...spec.writable].map((path) => `--allow-fs-write=${path}`),
    "--disallow-code-generation-from-strings",
  ];
}

export class NodePermissionLauncher implements Launcher {
  readonly layer = "node-permission";
  private readonly plain = new PlainLauncher();

  launch(spec: LaunchSpec): ChildProcess {
    return this.plain.launch(spec, permissionArgv(spec, true));
  }
}
