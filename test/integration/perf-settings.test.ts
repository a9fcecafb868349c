// Settings chosen by measurement (docs/performance.md): they must not silently change.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodePage } from "../../dist/worker/encode.js";
import { CLI, corpus, scratch } from "../helpers/cli.js";

/** The JPEG segments (marker → payloads) before the image data. */
function segments(jpeg: Buffer): Map<number, Buffer[]> {
  const found = new Map<number, Buffer[]>();
  for (let at = 2; at + 4 <= jpeg.length; ) {
    const marker = jpeg[at + 1]!;
    const length = jpeg.readUInt16BE(at + 2);
    found.set(marker, [...(found.get(marker) ?? []), jpeg.subarray(at + 4, at + 2 + length)]);
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return found;
}

/** Code-length counts of the standard luminance DC table (ITU T.81 Annex K.3). */
const STANDARD_LUMA_DC = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];

describe("measured encoder settings", () => {
  it("JPEG pages are 4:2:0 with the standard Huffman tables (as pdftoppm writes them)", async () => {
    const [width, height] = [256, 128];
    const rgba = Buffer.alloc(width * height * 4, 255);
    for (let y = 20; y < 100; y++) {
      for (let x = 10 + (y % 7); x < 240; x += 3) rgba.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3); // text-like strokes
    }
    const out = join(scratch(), "page.jpg");
    await encodePage(rgba, width, height, out, { format: "jpeg", quality: 85, color: "rgb" });
    const parts = segments(readFileSync(out));
    const sof = parts.get(0xc0)?.[0];
    expect(sof, "a baseline frame").toBeDefined();
    expect(sof![5]).toBe(3); // components
    expect([sof![7], sof![10], sof![13]]).toEqual([0x22, 0x11, 0x11]); // Y 2x2, Cb and Cr 1x1: 4:2:0
    const tables = (parts.get(0xc4) ?? []).flatMap((dht) => {
      const list: { id: number; counts: number[] }[] = [];
      for (let at = 0; at < dht.length; ) {
        const counts = [...dht.subarray(at + 1, at + 17)];
        list.push({ id: dht[at]!, counts });
        at += 17 + counts.reduce((a, b) => a + b, 0);
      }
      return list;
    });
    const lumaDc = tables.find((t) => t.id === 0x00);
    expect(lumaDc, "a luminance DC table").toBeDefined();
    expect(lumaDc!.counts).toEqual(STANDARD_LUMA_DC);
  });
});

/** Worker processes (worker/entry.js) that are children of `pid`. */
function workersOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes("worker/entry.js"))
      .map((line) => Number.parseInt(line.trim(), 10));
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** Runs the CLI and returns MALLOC_ARENA_MAX as seen in the environment of its first worker. */
async function workerArenaMax(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dir = scratch();
  const child = spawn(process.execPath, [CLI, corpus("tracemonkey.pdf"), join(dir, "out.pdf"), "--dpi", "100", "--workers", "1", "--quiet"], {
    env: { ...process.env, TMPDIR: dir, ...env },
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  let value: string | undefined | null = null;
  try {
    for (let tries = 0; value === null && tries < 2000 && child.exitCode === null; tries++) {
      const [worker] = workersOf(child.pid!);
      if (worker !== undefined) {
        try {
          const entries = readFileSync(`/proc/${worker}/environ`, "utf8").split("\0");
          value = entries.find((entry) => entry.startsWith("MALLOC_ARENA_MAX="))?.slice("MALLOC_ARENA_MAX=".length);
        } catch {
          // the worker went away between ps and read: look again
        }
      }
      if (value === null) await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
  if (value === null) throw new Error("never saw a worker process");
  return value;
}

describe.runIf(existsSync("/proc/self/environ"))("worker memory settings", () => {
  it("workers run with 2 glibc malloc arenas (bounded RSS), unless the user chose a value", async () => {
    expect(await workerArenaMax({ MALLOC_ARENA_MAX: undefined })).toBe("2");
    expect(await workerArenaMax({ MALLOC_ARENA_MAX: "4" })).toBe("4");
  });
});
