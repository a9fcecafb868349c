import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { basename } from "node:path";
import { CLI, type CliResult } from "./cli.js";

/** Pids of pdfraster worker processes whose parent is `ppid`. */
export function workerPidsOf(ppid: number): number[] {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(ppid)], { encoding: "utf8" });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out
    .split("\n")
    .filter((line) => line.includes("worker/entry.js"))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/**
 * Pids of the node processes below `ppid`, at any depth: a sandboxed render process is bwrap's child
 * (or its grandchild), and bwrap's own command line names worker/entry.js too, so workerPidsOf would
 * give the ~2 MB bwrap process rather than the worker. For measuring the workers themselves.
 */
export function nodeDescendantsOf(ppid: number): number[] {
  // The executable's name, not `comm`: Node.js names its main thread "MainThread".
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 3)
    .map(([pid, parent, exe]) => ({ pid: Number(pid), parent: Number(parent), node: basename(exe!) === "node" }));
  const found: number[] = [];
  const queue = [ppid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const row of rows) {
      if (row.parent !== parent) continue;
      queue.push(row.pid);
      if (row.node) found.push(row.pid);
    }
  }
  return found;
}

/** Every pdfraster worker process on the machine whose command line mentions `marker` (e.g. a test's own dist path). */
export function allWorkerPids(marker: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.includes(marker) && line.includes("worker/entry.js"))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/**
 * `command args` run so that it gets SIGTERM when the process that spawned it dies, however it dies: a
 * service or cluster worker a test starts must not outlive a vitest that was killed (SIGKILL, a crash)
 * before its afterAll. setpriv (util-linux) sets the parent-death signal and then execs the command, so
 * the child keeps its pid, its signals and its exit code. SIGTERM: it stops as it would in production,
 * its render processes and temp folders with it.
 */
export function dyingWithParent(command: string, args: readonly string[]): [string, string[]] {
  return ["setpriv", ["--pdeathsig", "TERM", "--", command, ...args]];
}

/** True while `pid` is a live process (a zombie counts as gone: it runs no code and holds no memory). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Polls `condition` every 50 ms; `refresh` (e.g. a fetch of what the condition reads) runs before each look. */
export async function waitFor(condition: () => boolean, ms = 10_000, what = "condition", refresh?: () => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  while ((await refresh?.(), !condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface StartedCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** What the CLI has written to stderr so far. */
  stderr(): string;
}

/**
 * Starts the built CLI in its own process group (like a shell job), so a test can signal it, or its
 * whole group as Ctrl-C does, while it runs.
 */
export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): StartedCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 110_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, stderr: () => stderr };
}

/** The files under `dir` (deleted ones too) that process `pid` holds open: what a leaked file handle keeps. */
export function openFilesUnder(pid: number, dir: string): string[] {
  const fds = readdirSync(`/proc/${pid}/fd`);
  return fds.flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return []; // closed in between
    }
  });
}
