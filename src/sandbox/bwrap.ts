/**
 * Layer 2, Linux: bubblewrap (`bwrap`, what Flatpak uses) around the render process. New user, pid,
 * network, IPC, UTS and cgroup namespaces (an empty network: no loopback service is reachable, and
 * no other process is visible), no capabilities, `no_new_privs` (bwrap always sets it), a new session
 * (no terminal to inject into), killed with its parent, and on x86-64 a seccomp filter (seccomp.ts). Its file system is a fresh tmpfs with
 * read-only binds of the system libraries, the Node binary, the install and the inputs, and one
 * writable bind: its own folder. /etc is not there (no passwd, no resolver), nor /home, /root or
 * the parent's /proc. Node's permission model still runs inside (node-permission.ts).
 *
 * The IPC channel survives the wrapper: bwrap passes inherited descriptors and the environment
 * (NODE_CHANNEL_FD) on to the command.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, lstatSync, readlinkSync } from "node:fs";
import { constants as os } from "node:os";
import { delimiter, join } from "node:path";
import { installPaths, nodeBinary, withRealPaths } from "./install.js";
import type { LaunchSpec, Launcher } from "./launcher.js";
import { permissionArgv } from "./node-permission.js";
import { isWithin, killSandboxes } from "./orphans.js";
import { seccompFilter } from "./seccomp.js";

/** System folders the Node binary and the addons' shared libraries load from (read-only; symlinks kept as symlinks). */
const SYSTEM = ["/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"];
/** The few files of /etc that loading and fonts read; nothing else of /etc is there. */
const SYSTEM_ETC = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts", "/etc/localtime"];

/** The bwrap executable on PATH, or undefined. */
export function findBwrap(path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "bwrap");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The bwrap arguments that build the render process's world, up to (not including) the command; without `workDir`, nothing is writable (the probe). */
export function bwrapArgs(spec: Pick<LaunchSpec, "entry" | "readable" | "writable"> & { workDir?: string }): string[] {
  // Not --as-pid-1: the first process of a pid namespace ignores every signal it sends itself, SIGKILL
  // and the SIGABRT of abort() included, so a render process could not even crash as one should.
  // bwrap's own init sits in between instead. It reaps the render process, tells the outer bwrap its
  // exit status and exits a moment later; the outer bwrap exits on that status without waiting for
  // it (bubblewrap.c, monitor_child), so the init is reaped by the system's init and the render
  // processes' CPU time never reaches the master's rusage: a
  // whole-process CPU figure (farm-bench) misses it. Nothing is left running.
  const args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"];
  for (const dir of SYSTEM) {
    const info = lstatSync(dir, { throwIfNoEntry: false });
    if (!info) continue;
    if (info.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  for (const file of SYSTEM_ETC) args.push("--ro-bind-try", file, file);
  args.push("--proc", "/proc", "--dev", "/dev");
  const readOnly = [...nodeBinary(), ...installPaths(spec.entry), ...withRealPaths(spec.readable)];
  // A symlink is seen through the folder that holds it; its target is in the list as its real path.
  for (const path of readOnly) if (existsSync(path) && !lstatSync(path).isSymbolicLink()) args.push("--ro-bind", path, path);
  // Last: a writable folder inside a read-only one (an in-memory input's run folder) must be bound over it.
  for (const path of spec.workDir ? [...spec.writable, spec.workDir] : []) args.push("--bind", path, path);
  // The root is bwrap's own tmpfs, holding the mount points: read-only, or a process could fill memory through it.
  args.push("--remount-ro", "/", "--chdir", spec.workDir ?? "/");
  return args;
}

/** bwrap reads the seccomp program (seccomp.ts) from descriptor 0 and installs it before the command runs. */
const SECCOMP_ON_STDIN = ["--seccomp", "0"];

export class BwrapLauncher implements Launcher {
  readonly layer = "bwrap";

  constructor(private readonly bwrap: string) {}

  /** bwrap exits with 128 + N when the process inside was killed by signal N. */
  exitSignal(code: number | null): NodeJS.Signals | undefined {
    if (code === null || code <= 128) return undefined;
    return (Object.entries(os.signals) as [NodeJS.Signals, number][]).find(([, number]) => number === code - 128)?.[0];
  }

  launch(spec: LaunchSpec): ChildProcess {
    // The watchdog thread is not needed: --die-with-parent kills the process when its master goes.
    const node = [process.execPath, ...spec.execArgv, ...permissionArgv(spec, false), spec.entry];
    const filter = seccompFilter();
    const child = spawn(this.bwrap, [...bwrapArgs(spec), ...(filter ? SECCOMP_ON_STDIN : []), ...node], {
      // HOME: there is no /etc/passwd to find one in (os.homedir(), which canvas asks for, would throw).
      env: { ...spec.env, TMPDIR: spec.workDir, HOME: spec.workDir },
      cwd: spec.workDir,
      // stdin carries the seccomp filter to bwrap, which reads it whole before it starts the command.
      stdio: [filter ? "pipe" : "ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });
    if (filter) {
      child.stdin!.on("error", () => {}); // bwrap gone before reading it: its exit is the pool's to report
      child.stdin!.end(filter);
    }
    return child;
  }

  /** bwrap killed between its clone and its child's parent-death signal leaves that child waiting forever (orphans.ts). */
  afterExit(workDir: string): void {
    killSandboxes((folder) => isWithin(folder, workDir));
  }
}

/**
 * Whether bwrap can build its sandbox here (it needs user namespaces, or to be setuid): runs Node's
 * `--version` inside the same namespaces. The reason when it cannot, e.g. a container without user
 * namespaces: `bwrap: No permissions to creating new namespace`.
 */
export function probeBwrap(bwrap: string, entry: string): { ok: true } | { ok: false; reason: string } {
  const args = bwrapArgs({ entry, readable: [], writable: [] });
  const filter = seccompFilter();
  const result = spawnSync(bwrap, [...args, ...(filter ? SECCOMP_ON_STDIN : []), process.execPath, "--version"], {
    encoding: "utf8",
    timeout: 10_000,
    env: {},
    ...(filter ? { input: filter } : {}),
  });
  if (result.status === 0) return { ok: true };
  const why = (result.stderr || result.error?.message || `exit ${result.status ?? result.signal}`).trim().split("\n")[0]!;
  return { ok: false, reason: why };
}
