/**
 * No process of a run's sandbox outlives its master (src/sandbox/orphans.ts, docs/security.md
 * "Sandbox"). bwrap's first process waits on an eventfd until the outer bwrap has set up the user
 * namespace, before it has a parent-death signal: an outer bwrap that dies in that window (its
 * master SIGKILLed, or SIGTERMed by a master killing a starting worker) leaves it waiting forever.
 * The window is microseconds long; the tests hold bwrap in it with bwrap's own `--userns-block-fd`
 * (a `bwrap` on PATH that adds it and blocks on a FIFO nobody writes), so that the race is hit
 * every time, then check:
 *  - master SIGKILLed while its workers start: the next run's sweep of stale temp folders ends them;
 *  - master SIGTERMed while its workers start: the master itself ends them before it exits;
 *  - master SIGKILLed while rendering (real bwrap): everything goes with it, by itself (parent-death signals).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { corpus, leftoverTempDirs, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { startCli, waitFor } from "../helpers/processes.js";
import { toolPath } from "../helpers/tools.js";

const BWRAP = toolPath("bwrap");
const IN_CI = process.env.CI === "true";
const SLOW_DOC = corpus("tracemonkey.pdf");

interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
}

/** Live processes (not zombies) whose command line mentions `marker`. */
function processesMentioning(marker: string): Proc[] {
  const found: Proc[] = [];
  for (const name of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (!cmdline.includes(marker) || Number(name) === process.pid) continue;
      const raw = readFileSync(`/proc/${name}/stat`, "utf8");
      const stat = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
      if (stat[0] === "Z") continue;
      found.push({ pid: Number(name), ppid: Number(stat[1]), argv: cmdline.split("\0") });
    } catch {
      // gone in between
    }
  }
  return found;
}

const isBwrap = (proc: Proc): boolean => proc.argv[0]!.endsWith("/bwrap");

/** The test folders made here: whatever of theirs a failing test leaves is killed after it. */
const dirs: string[] = [];
const testDir = (): string => {
  const dir = scratch();
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const proc of dirs.flatMap(processesMentioning)) {
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/**
 * A folder with a `bwrap` that runs the real one, held in its set-up (after its clone, before it lets
 * the child go on) whenever it starts a render process (a `--bind`; the start-up probe passes).
 */
function stallingBwrap(dir: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const fifo = join(dir, "never-written");
  spawnSync("mkfifo", [fifo]);
  writeFileSync(
    join(bin, "bwrap"),
    `#!/bin/sh
case " $* " in
  *" --bind "*) exec 8>/dev/null 9<>"${fifo}"; exec "${BWRAP}" --unshare-user --info-fd 8 --userns-block-fd 9 "$@";;
esac
exec "${BWRAP}" "$@"
`,
  );
  chmodSync(join(bin, "bwrap"), 0o755);
  return `${bin}:${process.env.PATH}`;
}

/** Starts the CLI on `doc` with its temp folders in `dir`, and waits until `ready(processes of the run)`. */
async function startRun(dir: string, doc: string, env: NodeJS.ProcessEnv, ready: (procs: Proc[]) => boolean) {
  const run = startCli([doc, join(dir, "out.pdf"), "--dpi", "150", "--workers", "2", "--quiet"], { env: { TMPDIR: dir, ...env } });
  await waitFor(() => ready(processesMentioning(dir)), 20_000, "the run's sandboxes");
  return run;
}

/** Two workers held in bwrap's set-up: the outer bwrap and the child it cloned, for each. */
const twoHeld = (procs: Proc[]): boolean => procs.filter(isBwrap).length >= 4;

describe.skipIf(!BWRAP && !IN_CI)("no sandbox process outlives its master", () => {
  it("CI has bubblewrap (a missing bwrap there is a failure, not a skip)", () => {
    expect(BWRAP).not.toBe("");
  });

  it("master SIGKILLed while its workers start: the next run's sweep ends what it left", async () => {
    const dir = testDir();
    const run = await startRun(dir, SAMPLE, { PATH: stallingBwrap(dir) }, twoHeld);
    const outer = processesMentioning(dir).filter((proc) => isBwrap(proc) && proc.ppid === run.child.pid).map((proc) => proc.pid);
    process.kill(run.child.pid!, "SIGKILL");
    await run.done;
    // The outer bwraps die with their master (parent-death signal); the children they cloned cannot notice, and stay.
    await waitFor(() => processesMentioning(dir).every((proc) => !outer.includes(proc.pid)), 5000, "the outer bwraps to die");
    const left = processesMentioning(dir);
    expect(left.length).toBe(2);
    expect(left.every(isBwrap)).toBe(true);

    // The next run in the same temp folder (a real bwrap) sweeps the dead master's folder and its sandboxes.
    const next = await runCli([SAMPLE, join(dir, "next.pdf"), "--pages", "1", "--dpi", "36", "--quiet"], { env: { TMPDIR: dir } });
    expect(next.code, next.stderr).toBe(0);
    await waitFor(() => processesMentioning(dir).length === 0, 5000, "no process of either run");
    await waitFor(() => leftoverTempDirs(dir).length === 0, 5000, "the dead run's temp folder to be removed");
  });

  it("master SIGTERMed while its workers start: it ends its sandboxes itself before it exits", async () => {
    const dir = testDir();
    const run = await startRun(dir, SAMPLE, { PATH: stallingBwrap(dir) }, twoHeld);
    process.kill(run.child.pid!, "SIGTERM");
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    // No sweep here: nothing else runs in this temp folder.
    await waitFor(() => processesMentioning(dir).length === 0, 5000, "no process of the run");
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it("master SIGKILLed while rendering: the render processes go with it by themselves", async () => {
    const dir = testDir();
    const run = await startRun(dir, SLOW_DOC, {}, (procs) => procs.filter((proc) => proc.argv.some((arg) => arg.endsWith("worker/entry.js")) && !isBwrap(proc)).length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // into the pages
    expect(processesMentioning(dir).filter(isBwrap).length).toBe(4); // outer bwrap and its init, for each worker
    process.kill(run.child.pid!, "SIGKILL");
    await run.done;
    await waitFor(() => processesMentioning(dir).length === 0, 5000, "no process of the run");
  });
});
