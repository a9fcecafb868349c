// An old Node.js gets one line and exit 2 from every command, and a UsageError from the API, before
// any dependency loads. The old runtime is simulated: a preload makes process.versions.node say 20.20.2
// and records every package the process resolves.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, SAMPLE, scratch } from "../helpers/cli.js";

const MESSAGE = "pdfraster needs Node.js 22.13 or later (24 LTS recommended); this is 20.20.2";

/** Runs node with the version faked; returns its result and the bare package specifiers it resolved. */
function asOldNode(args: string[]): { status: number | null; stdout: string; stderr: string; packages: string[] } {
  const log = join(scratch(), "resolved.txt");
  const preload = [
    `import { appendFileSync } from "node:fs";`,
    `import { registerHooks } from "node:module";`,
    `Object.defineProperty(process.versions, "node", { value: "20.20.2" });`,
    `registerHooks({ resolve(specifier, context, next) {`,
    `  if (!/^(node:|\\.|\\/|file:|data:)/.test(specifier)) appendFileSync(${JSON.stringify(log)}, specifier + "\\n");`,
    `  return next(specifier, context);`,
    `} });`,
  ].join("\n");
  const result = spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(preload)}`, ...args], { encoding: "utf8", cwd: ROOT, timeout: 60_000 });
  const packages = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, packages };
}

describe("on an older Node.js", () => {
  it.each([
    ["--version"],
    ["serve", "--port", "0"],
    ["worker", "--redis", "redis://127.0.0.1:1"],
    ["cluster", "status", "--redis", "redis://127.0.0.1:1"],
  ])("pdfraster %s says so in one line and exits 2, loading no dependency", (...args) => {
    const run = asOldNode([CLI, ...args]);
    expect(run.stderr).toBe(`${MESSAGE}\n`);
    expect(run.stdout).toBe("");
    expect(run.status).toBe(2);
    expect(run.packages).toEqual([]);
  });

  it("a rasterize run writes nothing", () => {
    const out = join(scratch(), "out.pdf");
    const run = asOldNode([CLI, SAMPLE, out]);
    expect(run.stderr).toBe(`${MESSAGE}\n`);
    expect(run.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it("the API throws a UsageError at import", () => {
    const entry = pathToFileURL(join(ROOT, "dist/index.js")).href;
    const script = `import(${JSON.stringify(entry)}).then(() => console.log("loaded"), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, exitCode: e.exitCode, message: e.message })))`;
    const run = asOldNode(["--input-type=module", "-e", script]);
    expect(JSON.parse(run.stdout)).toEqual({ name: "UsageError", code: "ERR_USAGE", exitCode: 2, message: MESSAGE });
    // The API's static imports are resolved (linked) before the guard runs, but not evaluated; the
    // renderers are loaded only when a document is opened, so none of them is even resolved.
    expect(run.packages.filter((name) => /pdfjs|canvas|pdfium|mupdf/.test(name))).toEqual([]);
  });

  it("the same process on this Node.js loads and runs (the preload alone changes nothing else)", () => {
    const result = spawnSync(process.execPath, [CLI, "--version"], { encoding: "utf8", cwd: ROOT });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
