import { fork, type ChildProcess } from "node:child_process";
import type { LaunchSpec, Launcher } from "./launcher.js";

/** `--sandbox off`: a plain fork; the process can do whatever its user can. */
export class PlainLauncher implements Launcher {
  readonly layer = "none";

  launch(spec: LaunchSpec, extraArgv: readonly string[] = []): ChildProcess {
    return fork(spec.entry, [], {
      execArgv: [...spec.execArgv, ...extraArgv],
      env: spec.env,
      cwd: spec.workDir,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });
  }
}
