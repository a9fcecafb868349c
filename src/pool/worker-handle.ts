import { fork, type ChildProcess } from "node:child_process";
import { isWorkerMessage, type MasterMessage, type PageResult, type PageTask, type PrepareHint } from "./messages.js";

/** How long a worker gets to exit after SIGTERM (or a shutdown message) before SIGKILL. */
export const KILL_GRACE_MS = 2000;
const STDERR_TAIL = 4096;

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
}

const START_TIMEOUT_MS = 30_000;

interface Pending {
  task: PageTask;
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

  constructor(options: WorkerSpawnOptions) {
    this.child = fork(options.entry, [], {
      execArgv: options.execArgv,
      env: options.env,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });
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

    this.exited = new Promise<void>((resolve) => {
      const onExit = (description: string): void => {
        if (this.isExited) return;
        this.isExited = true;
        this.exitDescription = description;
        failStart(new Error(`worker ${description} while starting${this.stderrSummary()}`));
        this.settle(new TaskError(this.crashReason(), "crash"));
        resolve();
      };
      this.child.once("exit", (code, signal) => onExit(signal ? `killed by ${signal}` : `exited with code ${code}`));
      // A process that could not be spawned at all emits 'error' and never 'exit'.
      this.child.once("error", (error) => {
        if (this.child.pid === undefined) onExit(`could not start (${error.message})`);
      });
    });

    this.child.on("message", (message: unknown) => {
      if (!isWorkerMessage(message)) {
        this.kill();
        return;
      }
      if (message.type === "ready") {
        this.isReady = true;
        markReady();
      } else if (message.type === "done" && this.pending?.task.id === message.result.id) {
        this.settle(undefined, message.result);
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
    return new Promise<PageResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(new TaskError(`timed out after ${formatSeconds(timeoutMs)} s`, "timeout"));
        this.kill();
      }, timeoutMs);
      this.pending = { task, resolve, reject, timer };
      this.send({ type: "task", task });
    });
  }

  /** Tells an idle worker which document is coming, so that it opens it ahead of its first task. */
  prepare(hint: PrepareHint): void {
    this.send({ type: "prepare", hint });
  }

  /** Asks the worker to finish and exit; kills it if it does not within the grace period. */
  async shutdown(): Promise<void> {
    if (this.isExited) return;
    this.send({ type: "shutdown" });
    const timer = setTimeout(() => this.kill(), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGTERM, then SIGKILL after the grace period. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.isExited) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
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
