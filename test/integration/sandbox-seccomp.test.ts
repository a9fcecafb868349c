/**
 * The render processes' seccomp filter, installed by the real bubblewrap in the real kernel: a process
 * in the render processes' sandbox makes each refused kind of system call (python3's ctypes: JavaScript
 * cannot make them), with and without the filter, so that the test fails if the filter does nothing.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bwrapArgs } from "../../src/sandbox/bwrap.js";
import { seccompFilter } from "../../src/sandbox/seccomp.js";
import { corpus, ROOT, runCli, scratch } from "../helpers/cli.js";
import { hasTools } from "../helpers/tools.js";

const IN_CI = process.env.CI === "true";
const RUNNABLE = hasTools("bwrap", "python3") && process.arch === "x64";

/** Each call's errno (0: it succeeded), as python3 sees it inside the sandbox. */
const CALLS = `
import ctypes, json, socket
libc = ctypes.CDLL(None, use_errno=True)
def call(nr, *args):
    return 0 if libc.syscall(nr, *args) >= 0 else ctypes.get_errno()
def sock(family):
    try:
        socket.socket(family, socket.SOCK_STREAM).close()
        return 0
    except OSError as e:
        return e.errno
print(json.dumps({
    "ptrace": call(101, 0, 0, 0, 0),
    "io_uring_setup": call(425, 1, ctypes.create_string_buffer(120)),
    "unshare_user": call(272, 0x10000000),
    "clone3": call(435, 0, 0),
    "socket_inet": sock(socket.AF_INET),
    "socket_unix": sock(socket.AF_UNIX),
}))
`;

/** Whether an ancestor of `pid` (within a few levels: bwrap's two processes sit between) is the master writing `out`. */
function underMaster(pid: number, out: string): boolean {
  for (let level = 0, at = pid; level < 6 && at > 1; level++) {
    at = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${at}/status`, "utf8"))?.[1] ?? 0);
    if (at > 1 && readFileSync(`/proc/${at}/cmdline`, "utf8").split("\0").includes(out)) return true;
  }
  return false;
}

function callsInSandbox(withFilter: boolean): Record<string, number> {
  const args = [...bwrapArgs({ entry: join(ROOT, "dist/worker/entry.js"), readable: [], writable: [] }), ...(withFilter ? ["--seccomp", "0"] : []), "/usr/bin/python3", "-c", CALLS];
  const result = spawnSync("bwrap", args, { encoding: "utf8", timeout: 30_000, ...(withFilter ? { input: seccompFilter() } : {}) });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, number>;
}

describe.skipIf(!RUNNABLE && !IN_CI)("the render processes' seccomp filter", () => {
  it("refuses debugging, io_uring, new namespaces and network sockets, and nothing a renderer needs", () => {
    const open = callsInSandbox(false);
    // Without the filter the sandbox itself allows them (so the filter is what refuses them below);
    // clone3 with a null argument is EINVAL from the kernel itself.
    expect(open).toEqual({ ptrace: 0, io_uring_setup: 0, unshare_user: 0, clone3: 22, socket_inet: 0, socket_unix: 0 });
    const filtered = callsInSandbox(true);
    // EPERM, ENOSYS for clone3 (glibc then falls back to clone, whose flags the filter reads), EAFNOSUPPORT.
    expect(filtered).toEqual({ ptrace: 1, io_uring_setup: 1, unshare_user: 1, clone3: 38, socket_inet: 97, socket_unix: 0 });
  });

  it("is on in every render process of a run, which renders as before; off with --sandbox off", async () => {
    const entry = join(ROOT, "dist/worker/entry.js");
    for (const [args, mode] of [[[], "2"], [["--sandbox", "off"], "0"]] as const) {
      const out = join(scratch(), "seccomp.pdf");
      const seen = new Map<number, string>();
      const run = runCli([corpus("tracemonkey.pdf"), out, "--dpi", "150", "--workers", "2", "--verbose", ...args]);
      let done = false;
      void run.finally(() => (done = true));
      while (!done) {
        // The render processes, seen from outside their sandbox: /proc/<pid>/status says their seccomp mode (2: a filter).
        for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
          try {
            // Node running the worker entry (not bwrap, whose own command line names it too), under this
            // run's master (other test files run workers at the same time).
            const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            if (argv[0] !== process.execPath || !argv.includes(entry) || !underMaster(Number(pid), out)) continue;
            seen.set(Number(pid), /^Seccomp:\s+(\d)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "?");
          } catch {
            // gone in between
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const result = await run;
      expect(result.code, result.stderr).toBe(0);
      expect(seen.size, args.join(" ")).toBeGreaterThan(0);
      expect(new Set(seen.values()), args.join(" ")).toEqual(new Set([mode]));
      if (mode === "2") expect(result.stderr).toContain("pdfraster: sandbox: bwrap + seccomp + node-permission");
    }
  });
});
