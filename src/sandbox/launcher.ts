/**
 * How a render process is started: the seam between the pool (which only needs a child process with
 * an IPC channel) and the sandbox that confines it. A render process runs code reached from an
 * untrusted document, so it is started with as little as rendering needs (see docs/security.md).
 */
import type { ChildProcess } from "node:child_process";

/** What one render process runs and what it may touch. */
export interface LaunchSpec {
  /** The worker's entry script. */
  entry: string;
  /** Node flags of our own (heap size, GC); the launcher adds the sandbox's. */
  execArgv: readonly string[];
  /** Its whole environment: never the parent's (no credentials, no loader hooks). */
  env: NodeJS.ProcessEnv;
  /** Files and folders it reads besides the install: the input documents. */
  readable: readonly string[];
  /** Folders it may also write to besides `workDir` (the fault-injection tests' marker folder). */
  writable: readonly string[];
  /** Its own folder, the one place it writes (page images); also its working directory. */
  workDir: string;
}

/**
 * - `bwrap`: bubblewrap around the process (Linux: no network, its own pid namespace, a read-only view
 *   of only the install, the inputs and its folder, no capabilities), with Node's permission model inside.
 * - `node-permission`: Node's permission model alone (file system, child processes, addons' loading,
 *   WASI, inspector, eval); no network confinement, and native code (sharp, canvas) is outside it.
 * - `none`: a plain fork with everything its parent has.
 */
export type SandboxLayer = "bwrap" | "node-permission" | "none";

export interface Launcher {
  readonly layer: SandboxLayer;
  /** Starts the render process: stdin and stdout ignored, stderr piped, an IPC channel (JSON). */
  launch(spec: LaunchSpec): ChildProcess;
  /** The signal that killed the process inside, when a wrapper reports it as its exit code. */
  exitSignal?(code: number | null): NodeJS.Signals | undefined;
  /**
   * Called once the process started for `workDir` has exited, before its folder is removed: ends
   * whatever of its sandbox can outlive it (bwrap's first process, when bwrap was killed while setting up).
   */
  afterExit?(workDir: string): void;
}
