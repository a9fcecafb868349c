/**
 * The resident memory of a render process, read from /proc by the master (Linux). Under bwrap the
 * forked pid is bwrap's, and the render process is its grandchild: the whole tree is summed.
 * An address-space limit (RLIMIT_AS) is no use here: WebAssembly engines reserve large virtual ranges.
 */
import { readFileSync, readdirSync } from "node:fs";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? "");
  return match ? Number(match[1]) * 1024 : 0;
}

/** Children of `pid`: /proc/<pid>/task/<pid>/children where the kernel has it, else a scan of /proc. */
function childrenOf(pid: number): number[] {
  const list = read(`/proc/${pid}/task/${pid}/children`);
  if (list !== undefined) return list.split(" ").filter(Boolean).map(Number);
  const children: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    const match = /^PPid:\s+(\d+)/m.exec(read(`/proc/${name}/status`) ?? "");
    if (match && Number(match[1]) === pid) children.push(Number(name));
  }
  return children;
}

/** `pid` and its descendants (at most 64), where /proc tells; [] when it is gone or there is no /proc. */
export function processTree(pid: number): number[] {
  if (read(`/proc/${pid}/status`) === undefined) return [];
  const seen = new Set<number>();
  const stack = [pid];
  while (stack.length > 0 && seen.size < 64) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...childrenOf(next));
  }
  return [...seen];
}

/** Resident bytes of `pid` and its descendants; undefined where /proc does not tell (not Linux, or gone). */
export function treeResidentBytes(pid: number): number | undefined {
  const tree = processTree(pid);
  return tree.length === 0 ? undefined : tree.reduce((sum, next) => sum + rssBytes(next), 0);
}
