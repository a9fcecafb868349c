import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PageResult } from "../../src/pool/messages.js";
import { bwrapArgs } from "../../src/sandbox/bwrap.js";
import { treeResidentBytes } from "../../src/sandbox/memory.js";
import { acceptResult, localTask, maxImageBytes, MAX_EXTRACT_BYTES } from "../../src/sandbox/results.js";
import { scratch } from "../helpers/cli.js";
import { pageTask } from "../helpers/task.js";

/** A task planned into `runDir`, the worker's view of it in `workDir`, and a result as an honest worker reports it. */
function setUp(extract = false) {
  const dir = scratch();
  const runDir = join(dir, "run");
  const workDir = join(runDir, "render-1");
  mkdirSync(workDir, { recursive: true });
  const task = pageTask({ id: 7, pageNumber: 1, source: "/in.pdf", outPath: join(runDir, "page-000007.jpg"), ...(extract ? { extract: { text: "visible" as const, links: false, path: join(runDir, "page-000007.json") } } : {}) });
  const local = localTask(task, workDir);
  const result = { id: 7, engine: "pdfjs", path: local.outPath, bytes: 5, format: "jpeg", width: 60, height: 80, components: 3, bitsPerComponent: 8, timings: { load: 0, draw: 0, readback: 0, encode: 0, write: 0, total: 0 } } as PageResult;
  return { dir, runDir, workDir, task, local, result };
}

describe("acceptResult: what the master takes from an untrusted worker", () => {
  it("moves an honest result from the worker's folder to where the plan wants it", async () => {
    const { task, local, result } = setUp(true);
    expect(local.outPath).toMatch(/render-1\/page-000007\.jpg$/);
    writeFileSync(local.outPath, "12345");
    writeFileSync(local.extract!.path, "{}");
    const accepted = await acceptResult(task, local, { ...result, extractPath: local.extract!.path });
    expect(accepted.path).toBe(task.outPath);
    expect(accepted.extractPath).toBe(task.extract!.path);
    expect(readFileSync(task.outPath, "utf8")).toBe("12345");
  });

  it("refuses a path outside its folder, and leaves that file alone", async () => {
    const { dir, task, local, result } = setUp();
    const victim = join(dir, "victim");
    writeFileSync(victim, "12345");
    await expect(acceptResult(task, local, { ...result, path: victim })).rejects.toThrow("it reported a result path outside its folder");
    await expect(acceptResult(task, local, { ...result, path: join(local.outPath, "..", "..", "page-000007.jpg") })).rejects.toThrow("outside its folder");
    expect(readFileSync(victim, "utf8")).toBe("12345");
  });

  it("refuses a symlink, a hard link to a file elsewhere, a wrong size, a sidecar it was not asked for", async () => {
    const { dir, task, local, result } = setUp();
    const secret = join(dir, "secret");
    writeFileSync(secret, "12345");
    symlinkSync(secret, local.outPath);
    await expect(acceptResult(task, local, result)).rejects.toThrow("not a regular file");
    const other = setUp();
    linkSync(secret, other.local.outPath);
    await expect(acceptResult(other.task, other.local, other.result)).rejects.toThrow("hard link");
    const third = setUp();
    writeFileSync(third.local.outPath, "123");
    await expect(acceptResult(third.task, third.local, third.result)).rejects.toThrow("is 3 bytes, not the 5 it reported");
    writeFileSync(third.local.outPath, "12345");
    await expect(acceptResult(third.task, third.local, { ...third.result, extractPath: secret })).rejects.toThrow("text/links file outside its folder");
  });

  it("caps what it reads back: an image bigger than the page can need", async () => {
    const { task, local, result } = setUp();
    const max = maxImageBytes(task);
    expect(max).toBe(60 * 80 * 3 * 2 + 2 ** 20);
    writeFileSync(local.outPath, Buffer.alloc(max + 1));
    await expect(acceptResult(task, local, { ...result, bytes: max + 1 })).rejects.toThrow(`over the ${max} this page can need`);
    expect(MAX_EXTRACT_BYTES).toBe(64 * 2 ** 20);
  });
});

describe("bwrapArgs", () => {
  it("binds the inputs read-only and only the worker's folder writable, last, over a read-only root", () => {
    const dir = scratch();
    const input = join(dir, "in.pdf");
    writeFileSync(input, "%PDF");
    const workDir = join(dir, "render-1");
    mkdirSync(workDir);
    const args = bwrapArgs({ entry: new URL("../../dist/worker/entry.js", import.meta.url).pathname, readable: [input], writable: [], workDir });
    expect(args.slice(0, 5)).toEqual(["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]);
    const text = args.join(" ");
    expect(text).toContain(`--ro-bind ${input} ${input}`);
    expect(text).toContain(`--bind ${workDir} ${workDir} --remount-ro / --chdir ${workDir}`);
    expect(args.filter((arg) => arg === "--bind")).toHaveLength(1);
    expect(text).not.toMatch(/--(ro-)?bind \/etc /); // no /etc, so no passwd
  });
});

describe("treeResidentBytes", () => {
  it("reads this process's resident memory from /proc, and nothing for a pid that is gone", () => {
    const bytes = treeResidentBytes(process.pid);
    expect(bytes).toBeGreaterThan(10 * 2 ** 20);
    expect(treeResidentBytes(2 ** 22 + 12345)).toBeUndefined();
  });
});
