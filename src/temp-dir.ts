/**
 * The temp folders of runs, workers and services: each one names its owner (host, pid, and the
 * process's start time where the system tells it), so that the folder of a process that died without
 * cleaning up (SIGKILL, an OOM kill, a lost machine) is found and removed by the next pdfraster
 * process that starts on the same host. Only folders whose owner is known and gone are removed:
 * a folder without an owner file (being created, or made by an older build) is left alone.
 *
 * The sweep also ends the sandbox processes that a dead owner left behind (src/sandbox/orphans.ts:
 * bwrap killed while setting up leaves its first process waiting forever): those that bind a folder
 * inside one of the dead owners' folders, or inside a pdfraster temp folder that no longer exists.
 */
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, relative, sep } from "node:path";
import { killSandboxes } from "./sandbox/orphans.js";

/** Every pdfraster temp folder's name starts with this (`pdfraster-`, `pdfraster-worker-`, `pdfraster-serve-`). */
export const TEMP_PREFIX = "pdfraster-";
const OWNER_FILE = ".owner";

interface Owner {
  host: string;
  pid: number;
  /** The process's start time in clock ticks since boot (Linux, /proc/<pid>/stat field 22), so that a reused pid is not taken for the owner. */
  start?: number;
  /**
   * Its pid namespace (Linux, `/proc/self/ns/pid`): a container that shares the host's name and temp
   * dir but not its pids (a pid there means another process here) is never judged from outside it.
   */
  ns?: string;
}

/** A new temp folder `<parent>/<prefix>XXXXXX` (prefix starting with TEMP_PREFIX), marked as this process's. */
export async function createTempDir(parent: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  const owner: Owner = { host: hostname(), pid: process.pid, ...startOf(process.pid), ...namespace() };
  try {
    await writeFile(join(dir, OWNER_FILE), JSON.stringify(owner));
  } catch (error) {
    await rm(dir, { recursive: true, force: true }).catch(() => {}); // a full disk: nothing left behind
    throw error;
  }
  return dir;
}

/**
 * Removes the pdfraster temp folders in `parent` whose owner was a process of this host that is gone.
 * Never throws: a folder that cannot be read or removed is left for the next sweep.
 * @returns the folders removed
 */
export async function sweepStaleTempDirs(parent: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(parent)).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch {
    return [];
  }
  const host = hostname();
  const { ns } = namespace();
  const stale: string[] = [];
  for (const name of names) {
    const dir = join(parent, name);
    const owner = await readOwner(dir);
    if (owner && owner.host === host && owner.ns === ns && !isAlive(owner)) stale.push(dir);
  }
  killSandboxes((folder) => {
    const top = tempDirOf(parent, folder);
    return top !== undefined && (stale.includes(top) || !existsSync(top));
  });
  const removed: string[] = [];
  for (const dir of stale) {
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another process removes it too, or it is not ours to remove: left alone
    }
  }
  return removed;
}

/** The pdfraster temp folder in `parent` that `path` is inside of, or undefined. */
function tempDirOf(parent: string, path: string): string | undefined {
  const [top] = relative(parent, path).split(sep);
  return top?.startsWith(TEMP_PREFIX) ? join(parent, top) : undefined;
}

const swept = new Set<string>();

/**
 * sweepStaleTempDirs(parent), once per process and parent, without waiting for it: a run does not
 * start later for it (a folder of gigabytes takes a while to remove), and one cut short by the
 * process's exit is finished by the next.
 */
export function sweepInBackground(parent: string): void {
  if (swept.has(parent)) return;
  swept.add(parent);
  void sweepStaleTempDirs(parent);
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, OWNER_FILE), "utf8")) as Partial<Owner>;
    if (typeof value.host !== "string" || !Number.isSafeInteger(value.pid) || (value.pid as number) <= 0) return undefined;
    return {
      host: value.host,
      pid: value.pid as number,
      ...(Number.isSafeInteger(value.start) ? { start: value.start as number } : {}),
      ...(typeof value.ns === "string" ? { ns: value.ns } : {}),
    };
  } catch {
    return undefined;
  }
}

function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: a process of another user has the pid; it is alive, and the folder may be its.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (owner.start === undefined) return true;
  const now = startOf(owner.pid).start;
  return now === undefined || now === owner.start;
}

/** This process's pid namespace where /proc tells it (Linux), else nothing. */
function namespace(): { ns?: string } {
  try {
    return { ns: readlinkSync("/proc/self/ns/pid") };
  } catch {
    return {};
  }
}

/** A process's start time where /proc tells it (Linux), else nothing. */
function startOf(pid: number): { start?: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const start = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    return Number.isSafeInteger(start) ? { start } : {};
  } catch {
    return {};
  }
}
