// Runs one command and measures it: wall time, CPU time of the whole process tree (GNU time when
// installed), peak RSS of the root process and of the largest descendant (VmHWM sampled from
// /proc), and the peak size of pdfraster's temp directories.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const SAMPLE_MS = 50;

function vmHwmKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** user+system CPU ms of one process so far, from /proc/<pid>/stat (fields 14 and 15); 0 once it is gone. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * Waits until the rest of the machine is quiet (under `threshold` cores busy over one second), for at
 * most `maxMs`; resolves with the load last seen. Other users of a shared machine disturb the figures.
 */
export async function settle({ threshold = 0.15, maxMs = 30_000 } = {}) {
  const end = Date.now() + maxMs;
  for (;;) {
    const before = machineBusyMs();
    await new Promise((r) => setTimeout(r, 1000));
    const after = machineBusyMs();
    const load = before === undefined || after === undefined ? 0 : (after - before) / 1000;
    if (load < threshold || Date.now() > end) return load;
  }
}

/** Busy CPU ms of the whole machine so far (all cores), from the first line of /proc/stat. */
export function machineBusyMs() {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "latin1").split("\n")[0].trim().split(/\s+/).map(Number);
    return (user + nice + system + irq + softirq + steal) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Direct children of `pid`, from /proc/<pid>/task/<tid>/children (cheap: no scan of all of /proc). */
function children(pid) {
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "latin1").trim();
        if (text) out.push(...text.split(" ").map(Number));
      } catch {
        // thread gone
      }
    }
  } catch {
    // process gone
  }
  return out;
}

/** Every pid below `root`, parents before their children. */
function descendants(root) {
  const out = [];
  for (const pid of children(root)) out.push(pid, ...descendants(pid));
  return out;
}

/** Bytes of the files in `dir`'s pdfraster-* subdirectories (the pipeline's temp dirs). */
function tempBytes(dir) {
  let total = 0;
  try {
    for (const sub of readdirSync(dir)) {
      if (!sub.startsWith("pdfraster-")) continue;
      for (const file of readdirSync(join(dir, sub))) {
        try {
          total += statSync(join(dir, sub, file)).size;
        } catch {
          // deleted between readdir and stat
        }
      }
    }
  } catch {
    // no temp dir yet
  }
  return total;
}

/**
 * Runs `command args` (with `env` added) and resolves with its measurements. With GNU time the tree is
 * time → command (the "master") → its children (the "workers"); without it, command → children.
 */
export function measure(command, args, { env = {}, tmpDir, timeoutMs = 30 * 60_000 } = {}) {
  const timeFile = tmpDir ? join(tmpDir, `.time-${process.pid}-${Date.now()}`) : undefined;
  const argv = GNU_TIME && timeFile ? [GNU_TIME, ["-f", "%e %U %S %M", "-o", timeFile, command, ...args]] : [command, args];
  const busyBefore = machineBusyMs();
  const started = performance.now();
  const child = spawn(argv[0], argv[1], {
    env: { ...process.env, ...(tmpDir ? { TMPDIR: tmpDir } : {}), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const hwm = new Map();
  const cpu = new Map();
  let masterPid;
  let peakTemp = 0;
  const sample = () => {
    const tree = descendants(child.pid);
    if (GNU_TIME && timeFile) masterPid ??= tree[0];
    else masterPid = child.pid;
    for (const pid of [child.pid, ...tree]) {
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, vmHwmKb(pid)));
      cpu.set(pid, Math.max(cpu.get(pid) ?? 0, cpuMsOf(pid)));
    }
    if (tmpDir) peakTemp = Math.max(peakTemp, tempBytes(tmpDir));
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const kill = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const wallMs = performance.now() - started;
      const busyAfter = machineBusyMs();
      clearInterval(timer);
      clearTimeout(kill);
      let cpuMs;
      let largestKb;
      if (timeFile && existsSync(timeFile)) {
        const lines = readFileSync(timeFile, "utf8").trim().split("\n");
        const [, user, sys, maxKb] = (lines.at(-1) ?? "").split(" ").map(Number);
        if (Number.isFinite(user)) cpuMs = (user + sys) * 1000;
        if (Number.isFinite(maxKb)) largestKb = maxKb;
        rmSync(timeFile, { force: true });
      }
      const workers = [...hwm].filter(([pid]) => pid !== child.pid && pid !== masterPid).map(([, kb]) => kb);
      const masterKb = hwm.get(masterPid) ?? 0;
      const others = [...cpu].filter(([pid]) => pid !== child.pid && pid !== masterPid);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        wallMs,
        cpuMs,
        masterPeakMb: masterKb / 1024,
        workerPeakMb: workers.length ? Math.max(...workers) / 1024 : 0,
        // GNU time's %M: the largest single process of the tree (exact, not sampled).
        largestPeakMb: Math.max(largestKb ?? 0, masterKb, ...workers) / 1024,
        tempPeakBytes: peakTemp,
        // Sampled: CPU in the last SAMPLE_MS of a process is missed.
        masterCpuMs: cpu.get(masterPid) ?? 0,
        workersCpuMs: others.reduce((sum, [, ms]) => sum + ms, 0),
        processes: hwm.size - (masterPid === child.pid ? 0 : 1),
        // Cores kept busy by everything else on the machine meanwhile: other users disturb the figures.
        otherLoad:
          busyBefore !== undefined && busyAfter !== undefined && cpuMs !== undefined
            ? Math.max(0, (busyAfter - busyBefore - cpuMs) / wallMs)
            : undefined,
      });
    });
  });
}
