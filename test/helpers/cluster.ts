/** `pdfraster worker` processes for the cluster tests: started, watched and always stopped. */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { CLI } from "./cli.js";
import { dyingWithParent, isAlive, waitFor } from "./processes.js";

type Launch = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

export class WorkerProcess {
  readonly child: ChildProcess;
  log = "";
  readonly exited: Promise<number | null>;

  /** `launch`: how to start the process (e.g. inside a network namespace); a plain spawn by default. */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, launch: Launch = spawn) {
    this.child = launch(...dyingWithParent(process.execPath, [CLI, "worker", ...args]), { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    this.child.stderr!.on("data", (chunk) => (this.log += chunk));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    all.add(this);
    void this.exited.then(() => all.delete(this));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits for its "ready" line. */
  async ready(): Promise<this> {
    await waitFor(() => this.log.includes("ready:"), 30_000, `worker ${this.pid} ready (log: ${this.log})`);
    return this;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    if (isAlive(this.pid)) this.child.kill(signal);
    return this.exited;
  }
}

const all = new Set<WorkerProcess>();

/** Starts `count` workers of concurrency 1 on `redis`/`queue` and waits until they are ready. */
export async function startWorkers(count: number, redis: string, queue: string, options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: count }, () => new WorkerProcess(["--redis", redis, "--queue", queue, "--concurrency", "1", ...(options.args ?? [])], options.env));
  return Promise.all(workers.map((worker) => worker.ready()));
}

/** Stops every worker still running (SIGTERM, then SIGKILL), e.g. in afterEach. */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all(
    [...all].map(async (worker) => {
      worker.child.kill("SIGTERM");
      const timer = setTimeout(() => worker.child.kill("SIGKILL"), 10_000);
      await worker.exited;
      clearTimeout(timer);
    }),
  );
}
