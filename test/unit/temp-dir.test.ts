import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTempDir, sweepStaleTempDirs } from "../../src/temp-dir.js";
import { scratch } from "../helpers/cli.js";

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

function folder(parent: string, name: string, owner?: unknown): string {
  const dir = join(parent, name);
  mkdirSync(join(dir, "pages"), { recursive: true });
  writeFileSync(join(dir, "pages", "1.jpg"), "x");
  if (owner !== undefined) writeFileSync(join(dir, ".owner"), typeof owner === "string" ? owner : JSON.stringify(owner));
  return dir;
}

describe("temp folders", () => {
  it("a new one names this process as its owner, and a sweep leaves it alone", async () => {
    const parent = scratch();
    const dir = await createTempDir(parent, "pdfraster-worker-");
    expect(dir.startsWith(join(parent, "pdfraster-worker-"))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, ".owner"), "utf8"))).toMatchObject({ host: hostname(), pid: process.pid });
    expect(await sweepStaleTempDirs(parent)).toEqual([]);
    expect(existsSync(dir)).toBe(true);
  });

  it("removes only the pdfraster folders whose owner on this host is gone", async () => {
    const parent = scratch();
    const host = hostname();
    const dead = deadPid();
    const alive = await createTempDir(parent, "pdfraster-");
    const ns = (JSON.parse(readFileSync(join(alive, ".owner"), "utf8")) as { ns?: string }).ns;
    expect(ns).toMatch(/^pid:\[\d+\]$/);
    // A process of another pid namespace (a container sharing this host's name and temp dir): not judged from here.
    const otherNamespace = folder(parent, "pdfraster-container", { host, pid: dead, ns: "pid:[1]" });
    const stale = folder(parent, "pdfraster-worker-dead01", { host, pid: dead, ns });
    const staleRun = folder(parent, "pdfraster-dead02", { host, pid: dead, start: 1, ns });
    // This process, but its start time says the pid was reused by another since.
    const reused = folder(parent, "pdfraster-reused", { host, pid: process.pid, start: 1, ns });
    const otherHost = folder(parent, "pdfraster-serve-other", { host: `${host}-not`, pid: dead, ns });
    const ownerless = folder(parent, "pdfraster-older-build");
    const unreadable = folder(parent, "pdfraster-garbled", "{not json");
    const notOurs = folder(parent, "someone-else", { host, pid: dead });

    const removed = await sweepStaleTempDirs(parent);
    expect(removed.sort()).toEqual([stale, staleRun, reused].sort());
    expect(readdirSync(parent).sort()).toEqual([alive, otherNamespace, otherHost, ownerless, unreadable, notOurs].map((dir) => dir.slice(parent.length + 1)).sort());
  });

  it("a missing parent folder sweeps nothing and does not throw", async () => {
    expect(await sweepStaleTempDirs(join(scratch(), "missing"))).toEqual([]);
  });
});
