import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Launcher } from "../sandbox/index.js";
import { processTree, treeResidentBytes } from "../sandbox/memory.js";
import { RefusedResult, acceptResult, localTask } from "../sandbox/results.js";
import { isWorkerMessage, type MasterMessage, type PageResult, type PageTask, type PrepareHint } from "./messages.js";

/** How long a worker gets to exit after SIGTERM (or a shutdown message) before SIGKILL. */
export const KILL_GRACE_MS = 2000;
const STDERR_TAIL = 4096;

/** How often the master reads a worker's resident memory (a page that runs away allocates a few hundred MB in this time). */
const MEMORY_SAMPLE_MS = 100;

/** Why a task did not produce a result. `render`: the worker reported an error and lives on. */
export class TaskError extends Error {
  constructor(
    message: string,
    readonly kind: "render" | "crash" | "timeout",
    /** The worker's error code for `render` errors (ENOSPC, ...). */
    readonly code?: string,
  ) {
    super(message);
    this.name = "TaskError";
  }
}

export interface WorkerSpawnOptions {
  entry: string;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  /** Mirror the worker's stderr to ours (debugging). */
  inheritStderr: boolean;
  /** A worker not ready this long after the fork is killed and counts as failing to start. @default 30000 */
  startTimeoutMs?: number;
  /** How the process is started: the sandbox (src/sandbox/). */
  launcher: Launcher;
  /** What it reads besides the install: the input documents (files or folders). */
  readable: readonly string[];
  /** What it may also write (test hooks only). */
  writable: readonly string[];
  /** Where each worker's own folder is made (inside the run's or the service's temp folder: page images are renamed out of it). */
  workParent: string;
  /** Resident memory, in bytes, over which the master kills the worker (its page fails); 0: no cap. */
  maxMemoryBytes: number;
}

const START_TIMEOUT_MS = 30_000;

interface Pending {
  task: PageTask;
  /** The task as sent: its files in the worker's folder. */
  local: PageTask;
  resolve: (result: PageResult) => void;
  reject: (error: TaskError) => void;
  timer: NodeJS.Timeout;
}

/** One forked worker process: start-up handshake, one task at a time with a timeout, and a bounded kill. */
export class WorkerHandle {
  readonly child: ChildProcess;
  /** Resolves when the worker has loaded its engine; rejects if it exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  isReady = false;
  isExited = false;
  pagesDone = 0;
  /** Set when the worker has had a task of its own (fresh workers take retries). */
  used = false;
  private pending: Pending | undefined;
  private stderrTail = "";
  private exitDescription = "";
  /** The worker's own folder: the one place it may write; removed when it exits. */
  readonly workDir: string;
  /** Set when the master killed the worker for its memory: the cap, in bytes. */
  private overMemory = 0;

  constructor(options: WorkerSpawnOptions) {
    this.workDir = mkdtempSync(join(options.workParent, "render-"));
    const { entry, execArgv, env, readable, writable } = options;
    this.child = options.launcher.launch({ entry, execArgv, env, readable, writable, workDir: this.workDir });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      if (options.inheritStderr) process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
    });

    let markReady!: () => void;
    let failStart!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    this.ready.catch(() => {}); // observed by the pool; never an unhandled rejection
    const startMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
    const startTimer = setTimeout(() => {
      failStart(new Error(`worker did not start within ${formatSeconds(startMs)} s${this.stderrSummary()}`));
      void this.kill();
    }, startMs);
    void this.ready.then(() => clearTimeout(startTimer), () => clearTimeout(startTimer));
    const memoryTimer = options.maxMemoryBytes > 0 ? setInterval(() => this.checkMemory(options.maxMemoryBytes), MEMORY_SAMPLE_MS) : undefined;
    memoryTimer?.unref();

    this.exited = new Promise<void>((resolve) => {
      /** `wrapperKilled`: the launched process itself (not the one inside its sandbox) died by a signal. */
      const onExit = (description: string, wrapperKilled = false): void => {
        if (this.isExited) return;
        this.isExited = true;
        clearInterval(memoryTimer);
        // A process of its sandbox that outlives it (bwrap killed while setting up) must not keep the
        // master alive through our ends of the IPC channel and the stderr pipe.
        if (this.child.connected) this.child.disconnect();
        (this.child.stderr as { unref?: () => void } | null)?.unref?.();
        this.exitDescription = description;
        failStart(new Error(`worker ${description} while starting${this.stderrSummary()}`));
        this.settle(new TaskError(this.crashReason(), "crash"));
        if (wrapperKilled) options.launcher.afterExit?.(this.workDir);
        // Best effort: the exit is what callers wait for; a left-over folder sits under workParent, which its owner (the run, the service) removes at its end.
        void rm(this.workDir, { recursive: true, force: true }).catch(() => {}).then(() => resolve());
      };
      this.child.once("exit", (code, exitSignal) => {
        const signal = exitSignal ?? options.launcher.exitSignal?.(code);
        onExit(signal ? `killed by ${signal}` : `exited with code ${code}`, exitSignal !== null);
      });
      // A process that could not be spawned at all emits 'error' and never 'exit'.
      this.child.once("error", (error) => {
        if (this.child.pid === undefined) onExit(`could not start (${error.message})`);
      });
    });

    this.child.on("message", (message: unknown) => {
      if (!isWorkerMessage(message)) {
        void this.kill();
        return;
      }
      if (message.type === "ready") {
        this.isReady = true;
        markReady();
      } else if (message.type === "done" && this.pending?.task.id === message.result.id) {
        this.accept(this.pending, message.result);
      } else if (message.type === "failed" && this.pending?.task.id === message.id) {
        this.settle(new TaskError(message.error.message.split("\n")[0] || "render failed", "render", message.error.code));
      }
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Sends one task; settles with its result, the worker's error, a crash or a timeout. */
  run(task: PageTask, timeoutMs: number): Promise<PageResult> {
    if (this.pending) throw new Error("worker is busy");
    this.used = true;
    const local = localTask(task, this.workDir);
    return new Promise<PageResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(new TaskError(`timed out after ${formatSeconds(timeoutMs)} s`, "timeout"));
        void this.kill();
      }, timeoutMs);
      this.pending = { task, local, resolve, reject, timer };
      this.send({ type: "task", task: local });
    });
  }

  /** A result is taken only after its files pass the checks (sandbox/results.ts); a worker that lies is killed. */
  private accept(pending: Pending, reported: PageResult): void {
    acceptResult(pending.task, pending.local, reported).then(
      (result) => {
        if (this.pending === pending) this.settle(undefined, result);
      },
      (error: unknown) => {
        if (this.pending !== pending) return;
        if (error instanceof RefusedResult) {
          this.settle(new TaskError(`refused the worker's result: ${error.message}`, "crash"));
          void this.kill();
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        this.settle(new TaskError(`cannot take the page image: ${(error as Error).message}`, "render", typeof code === "string" ? code : undefined));
      },
    );
  }

  /** Kills a worker whose resident memory (with its sandbox's processes) is over the cap. */
  private checkMemory(cap: number): void {
    if (this.isExited || this.overMemory > 0 || this.child.pid === undefined) return;
    const bytes = treeResidentBytes(this.child.pid);
    if (bytes === undefined || bytes <= cap) return;
    this.overMemory = cap;
    this.signal("SIGKILL"); // it grows by hundreds of MB a second: no grace period
  }

  /** Tells an idle worker which document is coming, so that it opens it ahead of its first task. */
  prepare(hint: PrepareHint): void {
    this.send({ type: "prepare", hint });
  }

  /** Asks the worker to finish and exit; kills it if it does not within the grace period. */
  async shutdown(): Promise<void> {
    if (this.isExited) return;
    this.send({ type: "shutdown" });
    const timer = setTimeout(() => void this.kill(), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGTERM, then SIGKILL after the grace period. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.isExited) return;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Signals the process and its descendants: bwrap's own child, killed with it by its parent-death
   * signal once set up, would otherwise wait forever when bwrap is killed while still setting up.
   */
  private signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    for (const descendant of pid === undefined ? [] : processTree(pid).slice(1)) {
      try {
        process.kill(descendant, signal);
      } catch {
        // gone already
      }
    }
    this.child.kill(signal);
  }

  private send(message: MasterMessage): void {
    if (this.child.connected) this.child.send(message, () => {});
  }

  private settle(error: TaskError | undefined, result?: PageResult): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(result!);
  }

  private crashReason(): string {
    if (this.overMemory > 0) return `exceeded the worker memory cap of ${Math.round(this.overMemory / 2 ** 20)} MB`;
    if (/heap out of memory|Allocation failed/i.test(this.stderrTail)) return "worker ran out of memory";
    return `worker ${this.exitDescription}${this.stderrSummary()}`;
  }

  private stderrSummary(): string {
    const lines = this.stderrTail.trim().split("\n").filter((line) => line.trim());
    const last = lines.findLast((line) => /error/i.test(line)) ?? lines.at(-1);
    return last ? `: ${last.trim().slice(0, 200)}` : "";
  }
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
