/**
 * Sandbox processes whose master is gone (Linux). bwrap clones the sandbox's first process, which
 * then waits on an eventfd until the outer bwrap has set up its user namespace; only after that does
 * it ask for its parent-death signal. When the outer bwrap dies in between (its master SIGKILLed, so
 * its own parent-death signal fires; or SIGTERMed by a master killing a worker that is still
 * starting), nothing ever wakes the inner one: an eventfd has no end-of-file, it is pid 1 of its own
 * pid namespace (which ignores SIGTERM from outside) and its parent is gone. It would wait forever.
 *
 * Such a process is found by its command line, which is still bwrap's: our bwrap holds `--bind
 * <folder> <folder>` of a render process's own folder. Only processes of our own user whose
 * executable is named `bwrap` and which bind a folder we name are ever signalled.
 */
import { readFileSync, readdirSync } from "node:fs";
import { basename, sep } from "node:path";

/** The folders a bwrap process of our user binds writable, from its command line; undefined when it is not one. */
function bwrapBinds(pid: number, uid: number): string[] | undefined {
  let argv: string[];
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid) return undefined;
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return undefined; // gone, or not ours to read
  }
  if (basename(argv[0] ?? "") !== "bwrap") return undefined;
  const binds: string[] = [];
  for (let i = 1; i + 2 < argv.length; i++) {
    if (argv[i] === "--") break; // the command starts: nothing after it is bwrap's
    if (argv[i] === "--bind" && argv[i + 1] === argv[i + 2]) binds.push(argv[i + 1]!);
  }
  return binds;
}

/** `path` is `folder` or inside it. */
export function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * SIGKILLs the bwrap processes of our user that bind a folder for which `ours(folder)` holds (only
 * SIGKILL reaches the first process of a pid namespace from outside it). Never throws; does nothing
 * where there is no /proc.
 * @returns the pids signalled
 */
export function killSandboxes(ours: (folder: string) => boolean): number[] {
  if (process.platform !== "linux" || typeof process.getuid !== "function") return [];
  let pids: number[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
  const uid = process.getuid();
  const killed: number[] = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    const binds = bwrapBinds(pid, uid);
    if (!binds?.some(ours)) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // gone in between
    }
  }
  return killed;
}
